//! `sbcctl compile FILE -o plan.json`

use std::path::PathBuf;
use std::process::ExitCode;

use anyhow::Context;
use clap::Args;
use sbcctl_compiler::diag::render;
use sbcctl_compiler::{Options, compile_file};

use crate::output::FormatArg;

#[derive(Args, Debug)]
pub struct CompileArgs {
    /// Spec file.
    pub file: PathBuf,
    /// Where to write the plan; default standard output.
    #[arg(short, long)]
    pub output: Option<PathBuf>,
    /// Format of diagnostics.
    #[arg(long, value_enum, default_value_t = FormatArg::Human)]
    pub format: FormatArg,
    /// Skip checks that read the host (certificate and key files).
    #[arg(long)]
    pub pure: bool,
}

pub fn run(args: &CompileArgs) -> anyhow::Result<ExitCode> {
    let out = compile_file(&args.file, Options { pure: args.pure })
        .with_context(|| format!("cannot read {}", args.file.display()))?;
    // Diagnostics go to stderr so a plan on stdout stays clean.
    let diags = render(&out.diagnostics, args.format.diag_format());
    eprint!("{diags}");
    let Some(plan) = out.plan else {
        return Ok(ExitCode::from(1));
    };
    let json = plan.to_canonical_json();
    match &args.output {
        Some(path) => std::fs::write(path, json)
            .with_context(|| format!("cannot write {}", path.display()))?,
        None => print!("{json}"),
    }
    Ok(ExitCode::SUCCESS)
}
