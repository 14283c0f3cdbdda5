//! `sbcctl schema`

use std::process::ExitCode;

pub fn run() -> anyhow::Result<ExitCode> {
    print!("{}", sbcctl_compiler::schema::json_schema());
    Ok(ExitCode::SUCCESS)
}
