//! `sbcctl validate FILE...`

use std::path::PathBuf;
use std::process::ExitCode;

use clap::Args;
use sbcctl_compiler::diag::{Diagnostic, Format, render};
use sbcctl_compiler::{Options, compile_file};

use crate::output::FormatArg;

#[derive(Args, Debug)]
pub struct ValidateArgs {
    /// Spec files.
    #[arg(required = true)]
    pub files: Vec<PathBuf>,
    #[arg(long, value_enum, default_value_t = FormatArg::Human)]
    pub format: FormatArg,
    /// Treat warnings as problems (exit 1).
    #[arg(long)]
    pub deny_warnings: bool,
    /// Skip checks that read the host (certificate and key files).
    #[arg(long)]
    pub pure: bool,
}

pub fn run(args: &ValidateArgs) -> anyhow::Result<ExitCode> {
    let mut all: Vec<Diagnostic> = Vec::new();
    let mut io_error = false;
    for path in &args.files {
        match compile_file(path, Options { pure: args.pure }) {
            Ok(out) => all.extend(out.diagnostics),
            Err(e) => {
                eprintln!("error: cannot read {}: {e}", path.display());
                io_error = true;
            }
        }
    }
    let format = args.format.diag_format();
    print!("{}", render(&all, format));
    let errors = all.iter().filter(|d| d.is_error()).count();
    let warnings = all.len() - errors;
    if matches!(format, Format::Human { .. }) {
        println!(
            "{} file(s) checked: {errors} error(s), {warnings} warning(s)",
            args.files.len()
        );
    }
    Ok(if io_error {
        ExitCode::from(2)
    } else if errors > 0 || (args.deny_warnings && warnings > 0) {
        ExitCode::from(1)
    } else {
        ExitCode::SUCCESS
    })
}
