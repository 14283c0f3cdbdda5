//! `sbcctl run SPEC|PLAN`. For now it loads and compiles the input and prints a plan summary;
//! the runtime replaces this body.

use std::path::PathBuf;
use std::process::ExitCode;

use clap::{Args, ValueEnum};

#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
pub enum LogFormat {
    Human,
    Json,
}

#[derive(Args, Debug)]
pub struct RunArgs {
    /// A spec (YAML) or a compiled plan (JSON).
    pub spec: PathBuf,
    #[arg(long, value_enum, default_value_t = LogFormat::Human)]
    pub log_format: LogFormat,
}

pub fn run(args: &RunArgs) -> anyhow::Result<ExitCode> {
    let plan = match crate::input::load(&args.spec)? {
        Ok(p) => p,
        Err(problems) => {
            eprint!("{problems}");
            return Ok(ExitCode::from(1));
        }
    };
    println!("plan {} (format {})", plan.hash, plan.format_version);
    for i in &plan.interfaces {
        println!(
            "  interface {:<16} {:<4} {}",
            i.name,
            i.transport.as_str(),
            i.listen
        );
    }
    println!(
        "  {} peers, {} routes, {} manipulations",
        plan.peers.len(),
        plan.routes.len(),
        plan.manipulations.len()
    );
    println!("the runtime is not built yet: nothing was started");
    Ok(ExitCode::SUCCESS)
}
