//! `sbcctl diff OLD NEW` (specs or plans, told apart by content), or `sbcctl diff --admin URL
//! SPEC`: what applying SPEC would change on the running SBC.

use std::path::PathBuf;
use std::process::ExitCode;

use clap::Args;
use sbcctl_compiler::diff::diff;

use crate::output::FormatArg;

#[derive(Args, Debug)]
pub struct DiffArgs {
    /// The old spec or plan; with `--admin`, the new one (compared to the running plan).
    pub old: PathBuf,
    /// The new spec or plan (not with `--admin`).
    pub new: Option<PathBuf>,
    /// Compare SPEC with the plan running at this admin endpoint.
    #[arg(long, env = "SBCCTL_ADMIN", value_name = "URL")]
    pub admin: Option<String>,
    /// File holding the admin bearer token (with `--admin`).
    #[arg(long, env = "SBCCTL_TOKEN_FILE", value_name = "FILE")]
    pub token_file: Option<PathBuf>,
    /// Exit 1 when there are differences (like `git diff --exit-code`).
    #[arg(long)]
    pub exit_code: bool,
    #[arg(long, value_enum, default_value_t = FormatArg::Human)]
    pub format: FormatArg,
}

pub fn run(args: &DiffArgs) -> anyhow::Result<ExitCode> {
    let (old, new) = match (&args.admin, &args.new) {
        (Some(url), None) => {
            let new = match crate::input::load(&super::apply::absolute(&args.old))? {
                Ok(p) => p,
                Err(problems) => {
                    eprintln!("{} does not compile:\n{problems}", args.old.display());
                    return Ok(ExitCode::from(1));
                }
            };
            let client = super::apply::client(url, args.token_file.as_ref())?;
            let runtime = tokio::runtime::Builder::new_current_thread()
                .enable_all()
                .build()?;
            (runtime.block_on(client.plan())?, new)
        }
        (Some(_), Some(_)) => {
            eprintln!(
                "error: with --admin, give only the new spec (it is compared to the running plan)"
            );
            return Ok(ExitCode::from(2));
        }
        (None, None) => {
            eprintln!("error: give OLD and NEW, or --admin URL and the new spec");
            return Ok(ExitCode::from(2));
        }
        (None, Some(new_path)) => {
            let old = crate::input::load(&args.old)?;
            let new = crate::input::load(new_path)?;
            match (old, new) {
                (Ok(o), Ok(n)) => (o, n),
                (o, n) => {
                    for (path, r) in [(&args.old, o), (new_path, n)] {
                        if let Err(problems) = r {
                            eprintln!("{} does not compile:\n{problems}", path.display());
                        }
                    }
                    return Ok(ExitCode::from(1));
                }
            }
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
