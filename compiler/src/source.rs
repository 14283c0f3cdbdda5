//! Source files and byte spans. The only module that touches serde-saphyr.

use std::path::{Path, PathBuf};
use std::sync::Arc;

use serde::de::DeserializeOwned;
use serde_saphyr::{MessageFormatter, Spanned};

/// A file as read: its display name (as given on the command line), its directory for
/// resolving relative paths, and its text.
#[derive(Debug)]
pub struct SourceFile {
    pub name: String,
    pub dir: PathBuf,
    pub text: String,
}

impl SourceFile {
    pub fn new(
        name: impl Into<String>,
        dir: impl Into<PathBuf>,
        text: impl Into<String>,
    ) -> Arc<Self> {
        Arc::new(SourceFile {
            name: name.into(),
            dir: dir.into(),
            text: text.into(),
        })
    }

    /// Reads a file; `name` is the path as the user wrote it.
    pub fn read(path: &Path) -> std::io::Result<Arc<Self>> {
        let text = std::fs::read_to_string(path)?;
        let dir = path.parent().map(Path::to_path_buf).unwrap_or_default();
        Ok(SourceFile::new(path.display().to_string(), dir, text))
    }

    /// 1-based line and column (in chars) of a byte offset, clamped to the text.
    pub fn line_col(&self, offset: usize) -> (usize, usize) {
        let offset = offset.min(self.text.len());
        let before = self.text.get(..offset).unwrap_or("");
        let line = before.matches('\n').count() + 1;
        let col = before.rsplit('\n').next().map_or(0, |l| l.chars().count()) + 1;
        (line, col)
    }

    /// A one-byte span at a 1-based line and column (for errors that carry no byte offset).
    pub fn offset_of(&self, line: usize, column: usize) -> Span {
        let start: usize = self
            .text
            .split_inclusive('\n')
            .take(line.saturating_sub(1))
            .map(str::len)
            .sum();
        let rest = self.text.get(start..).unwrap_or("");
        let col = rest
            .char_indices()
            .nth(column.saturating_sub(1))
            .map_or(rest.len(), |(i, _)| i);
        Span::new((start + col).min(self.text.len()), 1)
    }

    /// The text under a span, if the span is inside the file on char boundaries.
    pub fn slice(&self, span: Span) -> Option<&str> {
        self.text.get(span.offset..span.offset + span.len)
    }

    /// Span of the string *value* of a scalar: strips the quotes that serde-saphyr includes
    /// in the span of a quoted scalar.
    pub fn inner(&self, span: Span) -> Span {
        match self.slice(span) {
            Some(s) if s.len() >= 2 && (s.starts_with('"') || s.starts_with('\'')) => Span {
                offset: span.offset + 1,
                len: span.len - 2,
            },
            _ => span,
        }
    }

    /// Whether the source text of a scalar is exactly its value (no quotes or escapes), so
    /// offsets inside the value map 1:1 to the file.
    pub fn is_verbatim(&self, span: Span, value: &str) -> bool {
        self.slice(self.inner(span)) == Some(value)
    }
}

/// A byte range in a [`SourceFile`].
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Default)]
pub struct Span {
    pub offset: usize,
    pub len: usize,
}

impl Span {
    pub fn new(offset: usize, len: usize) -> Span {
        Span { offset, len }
    }

    /// Span of a deserialized node (where it is used, for aliases).
    pub fn of<T>(s: &Spanned<T>) -> Span {
        Self::from_location(&s.referenced)
    }

    fn from_location(loc: &serde_saphyr::Location) -> Span {
        let sp = loc.span();
        match (sp.byte_offset(), sp.byte_len()) {
            (Some(o), Some(l)) => Span::new(o as usize, l as usize),
            _ => Span::default(),
        }
    }
}

/// A YAML or type error from deserializing.
#[derive(Debug)]
pub struct ParseError {
    pub message: String,
    pub span: Span,
}

/// Deserializes a whole document. serde stops at its first error, so a file gets at most
/// one parse diagnostic; the semantic checks that follow report everything.
pub fn parse<T: DeserializeOwned>(file: &SourceFile) -> Result<T, ParseError> {
    serde_saphyr::from_str::<T>(&file.text).map_err(|err| {
        let span = err
            .location()
            .or_else(|| err.locations().and_then(|l| l.primary_location()))
            .map(|l| {
                let span = Span::from_location(&l);
                if span == Span::default() && l.line() > 0 {
                    file.offset_of(l.line() as usize, l.column() as usize)
                } else {
                    span
                }
            })
            .unwrap_or_default();
        let message = serde_saphyr::DefaultMessageFormatter
            .format_message(&err)
            .into_owned();
        ParseError { message, span }
    })
}
