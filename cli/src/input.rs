//! Reading a spec or a plan, told apart by content (a plan is a JSON object).

use std::path::Path;

use anyhow::Context;
use sbcctl_compiler::diag::render;
use sbcctl_compiler::plan::Plan;
use sbcctl_compiler::{Options, compile_file};

use crate::output::FormatArg;

/// Loads a plan file (JSON, detected by content) or compiles a spec.
/// The outer error is I/O; the inner one holds rendered diagnostics or a plan error.
pub fn load(path: &Path) -> anyhow::Result<Result<Plan, String>> {
    let text =
        std::fs::read_to_string(path).with_context(|| format!("cannot read {}", path.display()))?;
    if text.trim_start().starts_with('{') {
        return Ok(Plan::from_json(&text).map_err(|e| e.to_string()));
    }
    let out = compile_file(path, Options::default())
        .with_context(|| format!("cannot read {}", path.display()))?;
    match out.plan {
        Some(p) => Ok(Ok(p)),
        None => Ok(Err(render(
            &out.diagnostics,
            FormatArg::Human.diag_format(),
        ))),
    }
}
