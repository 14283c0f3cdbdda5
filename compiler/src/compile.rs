//! The entry points: text or file in, diagnostics and (when there is no error) a plan out.

use std::collections::HashMap;
use std::path::Path;
use std::sync::Arc;

use crate::check::{self, Ctx};
use crate::diag::{Code, Diagnostic, Diagnostics, suggest};
use crate::plan::Plan;
use crate::source::{ParseError, SourceFile, parse};
use crate::spec::Spec;

/// Compiler switches.
#[derive(Clone, Copy, Debug, Default)]
pub struct Options {
    /// Skip checks that read the host (certificate and key files). Users files are still read:
    /// they are part of the spec.
    pub pure: bool,
}

/// Everything one compilation produces.
#[derive(Debug)]
pub struct Output {
    /// Sorted by file and position.
    pub diagnostics: Vec<Diagnostic>,
    /// Present when no diagnostic is an error.
    pub plan: Option<Plan>,
}

impl Output {
    pub fn has_errors(&self) -> bool {
        self.diagnostics.iter().any(Diagnostic::is_error)
    }
}

/// Reads and compiles a spec file.
pub fn compile_file(path: &Path, options: Options) -> std::io::Result<Output> {
    let file = SourceFile::read(path)?;
    Ok(compile(&file, options))
}

/// Compiles a spec already in memory. Never panics, whatever the text.
pub fn compile(file: &Arc<SourceFile>, options: Options) -> Output {
    let mut diags = Diagnostics::default();
    let plan = match parse::<Spec>(file) {
        Err(e) => {
            diags.push(parse_diagnostic(file, &e));
            None
        }
        Ok(spec) => {
            let mut ctx = Ctx {
                file,
                spec: &spec,
                pure: options.pure,
                users_files: HashMap::new(),
            };
            check::run(&mut ctx, &mut diags);
            if diags.has_errors() {
                None
            } else {
                crate::lower::lower(&ctx)
            }
        }
    };
    diags.sort();
    Output {
        diagnostics: diags.items,
        plan,
    }
}

/// Classifies serde-saphyr's message into our codes and adds "did you mean".
fn parse_diagnostic(file: &Arc<SourceFile>, e: &ParseError) -> Diagnostic {
    let msg = e.message.as_str();
    if let Some(rest) = msg.strip_prefix("unknown field `") {
        let key = rest.split('`').next().unwrap_or("");
        let expected: Vec<&str> = rest
            .split_once("expected ")
            .map(|(_, list)| expected_words(list))
            .unwrap_or_default();
        let mut help = if expected.is_empty() {
            "this mapping takes no keys".to_string()
        } else {
            format!("known keys here: {}", expected.join(", "))
        };
        if let Some(s) = suggest(key, expected.iter().copied()) {
            help = format!("did you mean `{s}`? {help}");
        }
        return Diagnostic::new(Code::UnknownKey, file, format!("unknown key `{key}`"))
            .label(e.span, "not a key of this section")
            .help(help);
    }
    if let Some(rest) = msg.strip_prefix("unknown variant `") {
        let word = rest.split('`').next().unwrap_or("");
        let expected: Vec<&str> = rest
            .split_once("expected ")
            .map(|(_, list)| expected_words(list))
            .unwrap_or_default();
        let mut help = format!("expected one of: {}", expected.join(", "));
        if let Some(s) = suggest(word, expected.iter().copied()) {
            help = format!("did you mean `{s}`? {help}");
        }
        return Diagnostic::new(Code::WrongType, file, format!("unknown value `{word}`"))
            .label(e.span, "not allowed here")
            .help(help);
    }
    if let Some(rest) = msg.strip_prefix("duplicate mapping key: ") {
        let key = rest.split(',').next().unwrap_or(rest).trim();
        return Diagnostic::new(Code::DuplicateName, file, format!("duplicate name `{key}`"))
            .label(e.span, "defined again here")
            .help("every key of a mapping must be unique; rename or merge the entries");
    }
    let lower = msg.to_ascii_lowercase();
    let (code, label) = if lower.contains("duplicate") {
        (Code::DuplicateName, "defined again here")
    } else if lower.contains("invalid type")
        || lower.contains("invalid value")
        || lower.contains("missing field")
        || lower.contains("invalid length")
        || lower.contains("expected")
    {
        (Code::WrongType, "here")
    } else {
        (Code::YamlSyntax, "here")
    };
    Diagnostic::new(code, file, msg.to_string()).label(e.span, label)
}

/// Words of serde's "expected one of a, b, c" / "expected `a` or `b`" tail.
fn expected_words(list: &str) -> Vec<&str> {
    let list = list.strip_prefix("one of ").unwrap_or(list);
    list.split(", ")
        .flat_map(|p| p.split(" or "))
        .map(|w| w.trim().trim_matches('`'))
        .filter(|w| !w.is_empty())
        .collect()
}
