//! `sbcctl schema [--markdown]`

use std::process::ExitCode;

use clap::Args;

#[derive(Args, Debug)]
pub struct SchemaArgs {
    /// Print the spec reference in Markdown (as in docs/spec-reference.md) instead of the schema.
    #[arg(long)]
    pub markdown: bool,
}

pub fn run(args: &SchemaArgs) -> anyhow::Result<ExitCode> {
    if args.markdown {
        print!("{}", sbcctl_compiler::schema_doc::markdown());
    } else {
        print!("{}", sbcctl_compiler::schema::json_schema());
    }
    Ok(ExitCode::SUCCESS)
}
