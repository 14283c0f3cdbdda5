//! `sbcctl apply SPEC --admin URL`: compile locally, diff against the plan that runs, confirm,
//! apply, report.
//!
//! Exit codes: 0 applied (or nothing to change), 1 the spec has errors, the SBC refused the plan
//! or the apply was declined at the prompt, 2 usage, I/O or the admin endpoint unreachable.

use std::io::{BufRead, IsTerminal, Write};
use std::path::{Path, PathBuf};
use std::process::ExitCode;

use anyhow::Context;
use clap::Args;
use sbcctl_compiler::diff::diff;
use sbcctl_runtime::admin::api::{ApplyReport, ApplyResult};
use sbcctl_runtime::admin::client::{AdminClient, ClientError};

/// Where the admin endpoint is and how to authenticate (shared by apply, status and diff).
#[derive(Args, Debug, Clone)]
pub struct AdminArgs {
    /// The admin endpoint of the running SBC, e.g. `http://127.0.0.1:9443`.
    #[arg(long, env = "SBCCTL_ADMIN", value_name = "URL")]
    pub admin: String,
    /// File holding the bearer token (the spec's `admin.token_file`).
    #[arg(long, env = "SBCCTL_TOKEN_FILE", value_name = "FILE")]
    pub token_file: Option<PathBuf>,
}

impl AdminArgs {
    pub fn client(&self) -> anyhow::Result<AdminClient> {
        client(&self.admin, self.token_file.as_ref())
    }
}

/// A client for `url` with the token read from `token_file`.
pub fn client(url: &str, token_file: Option<&PathBuf>) -> anyhow::Result<AdminClient> {
    let token = match token_file {
        Some(path) => {
            let text = std::fs::read_to_string(path)
                .with_context(|| format!("cannot read token file {}", path.display()))?;
            Some(text.trim().to_owned())
        }
        None => None,
    };
    Ok(AdminClient::new(url, token)?)
}

#[derive(Args, Debug)]
pub struct ApplyArgs {
    /// The spec (YAML) or compiled plan (JSON) to apply.
    pub spec: PathBuf,
    #[command(flatten)]
    pub admin: AdminArgs,
    /// Apply without asking (required when stdin is not a terminal).
    #[arg(long, short = 'y')]
    pub yes: bool,
}

/// The spec's path made absolute, so that the files it names (token, certificates, CDR and
/// capture files) are recorded with absolute paths: `run`, `apply` and `diff --admin` then
/// compile the same spec to the same plan whatever directory they are started from.
pub fn absolute(path: &Path) -> PathBuf {
    std::fs::canonicalize(path).unwrap_or_else(|_| path.to_path_buf())
}

pub fn run(args: &ApplyArgs) -> anyhow::Result<ExitCode> {
    let plan = match crate::input::load(&absolute(&args.spec))? {
        Ok(p) => p,
        Err(problems) => {
            eprint!("{problems}");
            return Ok(ExitCode::from(1));
        }
    };
    let client = args.admin.client()?;
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()?;
    let running = runtime.block_on(client.plan())?;
    let d = diff(&running, &plan);
    println!(
        "running plan {}  →  new plan {}",
        short(&running.hash),
        short(&plan.hash)
    );
    print!("{}", d.render());
    if running.hash == plan.hash {
        println!("The SBC already runs this plan.");
        return Ok(ExitCode::SUCCESS);
    }
    if !args.yes {
        if !std::io::stdin().is_terminal() {
            eprintln!("error: stdin is not a terminal: pass --yes to apply without a prompt");
            return Ok(ExitCode::from(2));
        }
        print!(
            "Apply these changes to {}? Only 'yes' applies: ",
            args.admin.admin
        );
        std::io::stdout().flush()?;
        let mut answer = String::new();
        std::io::stdin().lock().read_line(&mut answer)?;
        if answer.trim() != "yes" {
            println!("Not applied.");
            return Ok(ExitCode::from(1));
        }
    }
    match runtime.block_on(client.apply(&plan, Some(&running.hash))) {
        Ok(report) => {
            print!("{}", render_report(&report));
            Ok(ExitCode::SUCCESS)
        }
        Err(ClientError::Status { status, message }) if matches!(status, 409 | 412 | 503) => {
            eprintln!("error: the SBC did not apply the plan ({status}): {message}");
            eprintln!("The running plan {} is unchanged.", short(&running.hash));
            Ok(ExitCode::from(1))
        }
        Err(e) => Err(e.into()),
    }
}

/// The result of an apply in a few lines.
pub fn render_report(r: &ApplyReport) -> String {
    let mut out = String::new();
    match r.result {
        ApplyResult::Unchanged => {
            out.push_str(&format!("Plan {} was already running.\n", short(&r.hash)));
            return out;
        }
        ApplyResult::Applied => out.push_str(&format!(
            "Applied plan {} ({} added, {} changed, {} removed).\n",
            short(&r.hash),
            r.added,
            r.changed,
            r.removed
        )),
    }
    let i = &r.interfaces;
    for (label, names) in [
        ("listening on new interfaces", &i.added),
        ("rebound (open connections stay)", &i.rebound),
        ("stopped accepting (connections drain)", &i.removed),
    ] {
        if !names.is_empty() {
            out.push_str(&format!("  {label}: {}\n", names.join(", ")));
        }
    }
    out.push_str(&format!(
        "  registrations kept: {}, dropped: {}; calls in progress kept: {}\n",
        r.core.bindings_kept, r.core.bindings_dropped, r.core.calls_kept
    ));
    out
}

/// The first twelve hex digits of a plan hash (enough to tell plans apart in a terminal).
pub fn short(hash: &str) -> &str {
    hash.get(..12).unwrap_or(hash)
}
