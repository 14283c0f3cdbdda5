//! Diagnostics: code, severity, message, labelled spans in a file, help; and their renderings.

mod codes;
mod render;

pub use codes::{Code, Severity};
pub use render::{Format, render, render_human};

use std::sync::Arc;

use crate::source::{SourceFile, Span};

/// One labelled span.
#[derive(Clone, Debug)]
pub struct Label {
    pub span: Span,
    pub text: String,
}

/// One problem found in a spec.
#[derive(Clone, Debug)]
pub struct Diagnostic {
    pub code: Code,
    pub severity: Severity,
    pub message: String,
    pub file: Arc<SourceFile>,
    /// The first label is the primary one.
    pub labels: Vec<Label>,
    pub help: Option<String>,
}

impl Diagnostic {
    pub fn new(code: Code, file: &Arc<SourceFile>, message: impl Into<String>) -> Self {
        Diagnostic {
            code,
            severity: code.severity(),
            message: message.into(),
            file: Arc::clone(file),
            labels: Vec::new(),
            help: None,
        }
    }

    pub fn label(mut self, span: Span, text: impl Into<String>) -> Self {
        self.labels.push(Label {
            span,
            text: text.into(),
        });
        self
    }

    pub fn help(mut self, help: impl Into<String>) -> Self {
        self.help = Some(help.into());
        self
    }

    pub fn is_error(&self) -> bool {
        self.severity == Severity::Error
    }

    /// 1-based (line, column) of the primary label, or (1, 1).
    pub fn position(&self) -> (usize, usize) {
        self.labels
            .first()
            .map_or((1, 1), |l| self.file.line_col(l.span.offset))
    }
}

/// Collects diagnostics from the passes.
#[derive(Default, Debug)]
pub struct Diagnostics {
    pub items: Vec<Diagnostic>,
}

impl Diagnostics {
    pub fn push(&mut self, d: Diagnostic) {
        self.items.push(d);
    }
    pub fn has_errors(&self) -> bool {
        self.items.iter().any(Diagnostic::is_error)
    }
    pub fn warnings(&self) -> usize {
        self.items.iter().filter(|d| !d.is_error()).count()
    }
    pub fn errors(&self) -> usize {
        self.items.iter().filter(|d| d.is_error()).count()
    }
    /// Orders by file, then position, then code, so output does not depend on pass order.
    pub fn sort(&mut self) {
        self.items.sort_by(|a, b| {
            let ka = (
                &a.file.name,
                a.labels.first().map(|l| l.span.offset),
                a.code,
            );
            let kb = (
                &b.file.name,
                b.labels.first().map(|l| l.span.offset),
                b.code,
            );
            ka.cmp(&kb)
        });
    }
}

/// "did you mean" from a list of candidates (Jaro-Winkler, as rustc-style suggestions).
pub fn suggest<'a>(word: &str, candidates: impl IntoIterator<Item = &'a str>) -> Option<&'a str> {
    candidates
        .into_iter()
        .map(|c| (strsim::jaro_winkler(word, c), c))
        .filter(|(score, _)| *score > 0.8)
        .max_by(|a, b| a.0.total_cmp(&b.0))
        .map(|(_, c)| c)
}

/// "defined interfaces: a, b" or "no interfaces are defined".
pub fn list_defined<'a>(kind: &str, names: impl IntoIterator<Item = &'a str>) -> String {
    let names: Vec<&str> = names.into_iter().collect();
    if names.is_empty() {
        format!("no {kind} are defined")
    } else {
        format!("defined {kind}: {}", names.join(", "))
    }
}
