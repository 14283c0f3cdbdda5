//! The checks. Each pass reads the parsed spec and pushes diagnostics; all passes always run
//! so one `validate` reports every problem.

mod lints;
mod media;
mod names;
mod resources;
mod routes;

use std::collections::HashMap;
use std::sync::Arc;

use serde_saphyr::Spanned;

use crate::diag::{Code, Diagnostic, Diagnostics, list_defined, suggest};
use crate::source::{SourceFile, Span};
use crate::spec::{Named, PeerSpec, Spec, UserSpec};

/// What the checks and lowering share: the spec, where it came from, and the users files it
/// names (loaded once).
pub struct Ctx<'a> {
    pub file: &'a Arc<SourceFile>,
    pub spec: &'a Spec,
    /// Skip host checks (certificate files).
    pub pure: bool,
    /// Users from `users_file`, per peer name.
    pub users_files: HashMap<String, (Arc<SourceFile>, Vec<UserSpec>)>,
}

impl Ctx<'_> {
    pub fn span<T>(&self, s: &Spanned<T>) -> Span {
        Span::of(s)
    }

    pub fn diag(&self, code: Code, message: impl Into<String>) -> Diagnostic {
        Diagnostic::new(code, self.file, message)
    }

    /// Checks that `name` is a key of `section`; reports SBC005 with a suggestion otherwise.
    pub fn resolve<T>(
        &self,
        diags: &mut Diagnostics,
        section: &Named<T>,
        kind: &str,
        plural: &str,
        name: &Spanned<String>,
    ) -> Option<usize> {
        if let Some(i) = index_of(section, &name.value) {
            return Some(i);
        }
        let keys = || section.keys().map(|k| k.value.as_str());
        let mut help = list_defined(plural, keys());
        if let Some(s) = suggest(&name.value, keys()) {
            help = format!("did you mean `{s}`? {help}");
        }
        diags.push(
            self.diag(
                Code::UndefinedReference,
                format!("undefined {kind} `{}`", name.value),
            )
            .label(
                self.file.inner(Span::of(name)),
                format!("no {kind} with this name"),
            )
            .help(help),
        );
        None
    }

    pub fn peer(&self, name: &str) -> Option<&PeerSpec> {
        index_of(&self.spec.peers, name).and_then(|i| self.spec.peers.get_index(i).map(|e| e.1))
    }
}

/// Position of a name in a section (linear in the section size; sections are small).
pub fn index_of<T>(section: &Named<T>, name: &str) -> Option<usize> {
    section.keys().position(|k| k.value == name)
}

/// Runs every pass.
pub fn run(ctx: &mut Ctx<'_>, diags: &mut Diagnostics) {
    names::check(ctx, diags);
    resources::check(ctx, diags);
    media::check(ctx, diags);
    routes::check(ctx, diags);
    lints::check(ctx, diags);
}
