//! `sbcctl diff OLD NEW` (specs or plans, told apart by content).

use std::path::PathBuf;
use std::process::ExitCode;

use clap::Args;
use sbcctl_compiler::diff::diff;

use crate::output::FormatArg;

#[derive(Args, Debug)]
pub struct DiffArgs {
    pub old: PathBuf,
    pub new: PathBuf,
    /// Exit 1 when there are differences (like `git diff --exit-code`).
    #[arg(long)]
    pub exit_code: bool,
    #[arg(long, value_enum, default_value_t = FormatArg::Human)]
    pub format: FormatArg,
}

pub fn run(args: &DiffArgs) -> anyhow::Result<ExitCode> {
    let old = crate::input::load(&args.old)?;
    let new = crate::input::load(&args.new)?;
    let (old, new) = match (old, new) {
        (Ok(o), Ok(n)) => (o, n),
        (o, n) => {
            for (path, r) in [(&args.old, o), (&args.new, n)] {
                if let Err(problems) = r {
                    eprintln!("{} does not compile:\n{problems}", path.display());
                }
            }
            return Ok(ExitCode::from(1));
        }
    };
    let d = diff(&old, &new);
    match args.format {
        FormatArg::Json => println!("{}", serde_json::to_string_pretty(&d)?),
        _ => print!("{}", d.render()),
    }
    Ok(if args.exit_code && !d.is_empty() {
        ExitCode::from(1)
    } else {
        ExitCode::SUCCESS
    })
}
