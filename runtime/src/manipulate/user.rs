//! Number manipulation: prefix and regex edits of the user part of the Request-URI, From or To.
//!
//! Edits work on the user as text with `%HH` escapes decoded, so a rule stripping `+49` also
//! applies to a client that sent `%2B49…`. The result is escaped again where RFC 3261 §25.1 does
//! not allow a character in a user part (`#` in `*31#`, say). A user the rule leaves unchanged is
//! not rewritten, so a message keeps its exact bytes unless a rule really changed it.

use regex::Regex;
use sbcctl_compiler::plan::UserField;
use sbcctl_sip::{NameAddr, Request, SipUri};

use super::Skip;

/// One edit of a user part.
pub(super) enum UserEdit<'a> {
    AddPrefix(&'a str),
    /// Removes the prefix when the user starts with it; otherwise nothing changes.
    StripPrefix(&'a str),
    /// Replaces the first match; the replacement may use `$1` and `${name}`.
    Replace(&'a Regex, &'a str),
}

impl UserEdit<'_> {
    /// The edited user, or `None` when the edit changes nothing.
    fn apply(&self, user: &str) -> Option<String> {
        let out = match self {
            UserEdit::AddPrefix("") => return None,
            UserEdit::AddPrefix(p) => format!("{p}{user}"),
            UserEdit::StripPrefix(p) => user.strip_prefix(*p).filter(|_| !p.is_empty())?.to_owned(),
            UserEdit::Replace(re, with) => re.replace(user, *with).into_owned(),
        };
        (out != user).then_some(out)
    }
}

fn field_name(field: UserField) -> &'static str {
    match field {
        UserField::RequestUser => "Request-URI",
        UserField::FromUser => "From",
        UserField::ToUser => "To",
    }
}

/// Applies `edit` to the user of `field`.
pub(super) fn edit(req: &mut Request, field: UserField, edit: UserEdit<'_>) -> Result<(), Skip> {
    let what = field_name(field);
    match field {
        UserField::RequestUser => {
            let mut uri = req.uri().map_err(Skip::BadUri)?;
            if edit_uri(&mut uri, &edit, what)? {
                req.set_uri(&uri);
            }
        }
        UserField::FromUser | UserField::ToUser => {
            let mut addr = req
                .headers
                .get(what)
                .and_then(|h| h.value_str())
                .and_then(|v| NameAddr::parse(&v))
                .ok_or(Skip::BadAddress(what))?;
            if edit_uri(&mut addr.uri, &edit, what)? {
                req.headers.set(what, addr.to_string());
            }
        }
    }
    Ok(())
}

/// Edits the user of `uri` in place; true when it changed.
fn edit_uri(uri: &mut SipUri, edit: &UserEdit<'_>, what: &'static str) -> Result<bool, Skip> {
    if uri.user.is_none() {
        return Err(Skip::NoUser(what));
    }
    let decoded = uri.user_decoded().ok_or(Skip::BadUser(what))?;
    let text = String::from_utf8(decoded).map_err(|_| Skip::BadUser(what))?;
    let Some(new) = edit.apply(&text) else {
        return Ok(false);
    };
    if new.is_empty() {
        return Err(Skip::EmptyUser(what));
    }
    uri.user = Some(escape_user(&new));
    Ok(true)
}

/// RFC 3261 §25.1: `user = 1*( unreserved / escaped / user-unreserved )`.
fn allowed_in_user(b: u8) -> bool {
    b.is_ascii_alphanumeric() || b"-_.!~*'()&=+$,;?/".contains(&b)
}

/// Escapes every byte a user part may not hold as `%HH`.
fn escape_user(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for &b in s.as_bytes() {
        if allowed_in_user(b) {
            out.push(char::from(b));
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn edits_report_no_change_as_none() {
        assert_eq!(
            UserEdit::StripPrefix("+49").apply("+4930123").as_deref(),
            Some("30123")
        );
        assert_eq!(UserEdit::StripPrefix("+49").apply("030123"), None);
        assert_eq!(UserEdit::StripPrefix("").apply("030123"), None);
        assert_eq!(UserEdit::AddPrefix("").apply("1"), None);
        assert_eq!(UserEdit::AddPrefix("0").apply("30").as_deref(), Some("030"));
        let re = Regex::new("^00(?<cc>[1-9])").unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(
            UserEdit::Replace(&re, "+${cc}").apply("0049301").as_deref(),
            Some("+49301")
        );
        assert_eq!(UserEdit::Replace(&re, "+${cc}").apply("049301"), None);
    }

    #[test]
    fn escaping_keeps_legal_characters() {
        assert_eq!(escape_user("+49-30;isub=1"), "+49-30;isub=1");
        assert_eq!(escape_user("*31#0301"), "*31%230301");
        assert_eq!(escape_user("a b@c:d%"), "a%20b%40c%3Ad%25");
        assert_eq!(escape_user("ü"), "%C3%BC");
    }
}
