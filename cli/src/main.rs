//! `sbcctl`: validate, compile, diff and run session border controller specs.
//!
//! Exit codes: 0 ok, 1 problems found (or differences with `diff --exit-code`), 2 usage or
//! I/O error.

mod cmd;
mod input;
mod output;

use std::process::ExitCode;

use clap::{Parser, Subcommand};

/// mimalloc: every SIP message allocates small strings (header views, responses), and glibc's
/// allocator showed up as about an eighth of the host's CPU time under REGISTER load (measured:
/// +10 to +17 % registrations/s over WebSocket).
#[global_allocator]
static GLOBAL: mimalloc::MiMalloc = mimalloc::MiMalloc;

#[derive(Parser, Debug)]
#[command(
    name = "sbcctl",
    version,
    about = "WebRTC session border controller: validate, compile, diff, run and apply specs"
)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand, Debug)]
enum Command {
    /// Check specs and report every problem.
    Validate(cmd::validate::ValidateArgs),
    /// Compile a spec into a plan (canonical JSON).
    Compile(cmd::compile::CompileArgs),
    /// Show what changes between two specs or plans.
    Diff(cmd::diff::DiffArgs),
    /// Print the JSON Schema of the spec language.
    Schema(cmd::schema::SchemaArgs),
    /// Explain a diagnostic code, e.g. `sbcctl explain SBC005`.
    Explain(cmd::explain::ExplainArgs),
    /// Run the SBC from a spec or plan.
    Run(cmd::run::RunArgs),
    /// Apply a spec to a running SBC without dropping calls (shows the diff, asks first).
    Apply(cmd::apply::ApplyArgs),
    /// Show what a running SBC is doing.
    Status(cmd::status::StatusArgs),
}

fn main() -> ExitCode {
    let cli = match Cli::try_parse() {
        Ok(c) => c,
        Err(e) => {
            let _ = e.print();
            return if e.use_stderr() {
                ExitCode::from(2)
            } else {
                ExitCode::SUCCESS
            };
        }
    };
    let result = match &cli.command {
        Command::Validate(a) => cmd::validate::run(a),
        Command::Compile(a) => cmd::compile::run(a),
        Command::Diff(a) => cmd::diff::run(a),
        Command::Schema(a) => cmd::schema::run(a),
        Command::Explain(a) => cmd::explain::run(a),
        Command::Run(a) => cmd::run::run(a),
        Command::Apply(a) => cmd::apply::run(a),
        Command::Status(a) => cmd::status::run(a),
    };
    match result {
        Ok(code) => code,
        Err(e) => {
            eprintln!("error: {e:#}");
            ExitCode::from(2)
        }
    }
}
