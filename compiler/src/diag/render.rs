//! Renderings of diagnostics: human (miette's graphical report, deterministic when colour is
//! off), JSON (for tools) and GitHub Actions workflow commands (for annotations in CI).

use std::fmt::{self, Write as _};

use miette::{GraphicalReportHandler, GraphicalTheme, LabeledSpan, NamedSource, SourceCode};
use serde::Serialize;

use super::{Diagnostic, Severity};

/// Output format of `sbcctl validate` and friends.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Format {
    Human { color: bool },
    Json,
    Github,
}

/// Width used for human output, fixed so snapshots and CI logs do not depend on the terminal.
const WIDTH: usize = 100;

struct MietteView<'a> {
    diag: &'a Diagnostic,
    source: NamedSource<String>,
}

impl fmt::Debug for MietteView<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.diag.message)
    }
}
impl fmt::Display for MietteView<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.diag.message)
    }
}
impl std::error::Error for MietteView<'_> {}

impl miette::Diagnostic for MietteView<'_> {
    fn code<'b>(&'b self) -> Option<Box<dyn fmt::Display + 'b>> {
        Some(Box::new(self.diag.code.as_str()))
    }
    fn severity(&self) -> Option<miette::Severity> {
        Some(match self.diag.severity {
            Severity::Error => miette::Severity::Error,
            Severity::Warning => miette::Severity::Warning,
        })
    }
    fn help<'b>(&'b self) -> Option<Box<dyn fmt::Display + 'b>> {
        self.diag
            .help
            .as_ref()
            .map(|h| Box::new(h) as Box<dyn fmt::Display>)
    }
    fn source_code(&self) -> Option<&dyn SourceCode> {
        Some(&self.source)
    }
    fn labels(&self) -> Option<Box<dyn Iterator<Item = LabeledSpan> + '_>> {
        let len = self.diag.file.text.len();
        Some(Box::new(self.diag.labels.iter().enumerate().map(
            move |(i, l)| {
                let offset = l.span.offset.min(len);
                let span_len = l.span.len.min(len - offset);
                let text = Some(l.text.clone());
                if i == 0 {
                    LabeledSpan::new_primary_with_span(text, (offset, span_len))
                } else {
                    LabeledSpan::new_with_span(text, (offset, span_len))
                }
            },
        )))
    }
}

/// One diagnostic as miette's graphical report.
pub fn render_human(diag: &Diagnostic, color: bool) -> String {
    let theme = if color {
        GraphicalTheme::unicode()
    } else {
        GraphicalTheme::unicode_nocolor()
    };
    let handler = GraphicalReportHandler::new_themed(theme)
        .with_width(WIDTH)
        .with_links(false);
    let view = MietteView {
        diag,
        source: NamedSource::new(diag.file.name.clone(), diag.file.text.clone()),
    };
    let mut out = String::new();
    if handler.render_report(&mut out, &view).is_err() {
        out = format!("{}: {}\n", diag.code, diag.message);
    }
    out
}

#[derive(Serialize)]
struct JsonLabel<'a> {
    line: usize,
    column: usize,
    end_line: usize,
    end_column: usize,
    offset: usize,
    length: usize,
    text: &'a str,
}

#[derive(Serialize)]
struct JsonDiagnostic<'a> {
    code: &'static str,
    severity: Severity,
    message: &'a str,
    file: &'a str,
    line: usize,
    column: usize,
    labels: Vec<JsonLabel<'a>>,
    help: Option<&'a str>,
}

fn json_of(d: &Diagnostic) -> JsonDiagnostic<'_> {
    let (line, column) = d.position();
    JsonDiagnostic {
        code: d.code.as_str(),
        severity: d.severity,
        message: &d.message,
        file: &d.file.name,
        line,
        column,
        labels: d
            .labels
            .iter()
            .map(|l| {
                let (line, column) = d.file.line_col(l.span.offset);
                let (end_line, end_column) = d.file.line_col(l.span.offset + l.span.len);
                JsonLabel {
                    line,
                    column,
                    end_line,
                    end_column,
                    offset: l.span.offset,
                    length: l.span.len,
                    text: &l.text,
                }
            })
            .collect(),
        help: d.help.as_deref(),
    }
}

/// GitHub workflow command values escape `%`, CR and LF; properties also `:` and `,`.
fn gh_escape(s: &str, property: bool) -> String {
    let mut out = s
        .replace('%', "%25")
        .replace('\r', "%0D")
        .replace('\n', "%0A");
    if property {
        out = out.replace(':', "%3A").replace(',', "%2C");
    }
    out
}

/// Renders a list of diagnostics (already sorted) in one format. JSON is a single array.
pub fn render(diags: &[Diagnostic], format: Format) -> String {
    match format {
        Format::Human { color } => diags.iter().map(|d| render_human(d, color)).collect(),
        Format::Json => {
            let items: Vec<_> = diags.iter().map(json_of).collect();
            let mut s = serde_json::to_string_pretty(&items).unwrap_or_default();
            s.push('\n');
            s
        }
        Format::Github => {
            let mut out = String::new();
            for d in diags {
                let (line, col) = d.position();
                let kind = match d.severity {
                    Severity::Error => "error",
                    Severity::Warning => "warning",
                };
                let mut message = d.message.clone();
                if let Some(h) = &d.help {
                    message.push_str("\nhelp: ");
                    message.push_str(h);
                }
                let _ = writeln!(
                    out,
                    "::{kind} file={},line={line},col={col},title={}::{}",
                    gh_escape(&d.file.name, true),
                    d.code,
                    gh_escape(&message, false)
                );
            }
            out
        }
    }
}
