//! `sbcctl explain CODE`

use std::process::ExitCode;

use clap::Args;
use sbcctl_compiler::diag::Code;

#[derive(Args, Debug)]
pub struct ExplainArgs {
    /// A diagnostic code such as SBC005; without it, lists every code.
    pub code: Option<String>,
}

pub fn run(args: &ExplainArgs) -> anyhow::Result<ExitCode> {
    match &args.code {
        None => {
            for c in Code::ALL {
                println!(
                    "{c}  {:<7}  {}",
                    format!("{:?}", c.severity()).to_lowercase(),
                    c.title()
                );
            }
            Ok(ExitCode::SUCCESS)
        }
        Some(s) => match s.parse::<Code>() {
            Ok(c) => {
                println!("{c}: {} ({:?})\n\n{}", c.title(), c.severity(), c.doc());
                Ok(ExitCode::SUCCESS)
            }
            Err(()) => {
                eprintln!("error: unknown code `{s}`; `sbcctl explain` lists them");
                Ok(ExitCode::from(2))
            }
        },
    }
}
