//! Header actions (`add_header`, `set_header`, `remove_header`) and display names.
//!
//! Values come from the plan, not the network, but a hand-edited plan could still hold a CR or LF
//! that would split one header into two on the wire; such values are refused.

use sbcctl_compiler::plan::DisplayField;
use sbcctl_sip::{Headers, NameAddr, names_equal};

use super::Skip;

/// Headers the B2BUA writes itself: editing them would break transaction matching or loop
/// detection (RFC 3261 §8.1.1, §16.6). Compact forms are caught by [`names_equal`].
const TRANSACTION_HEADERS: &[&str] = &[
    "Via",
    "CSeq",
    "Call-ID",
    "Max-Forwards",
    "Content-Length",
    "Route",
    "Record-Route",
];

/// Headers that carry the dialog's tags (RFC 3261 §12): they may be rewritten, but never added,
/// removed, or stripped of their tag.
const DIALOG_HEADERS: &[&str] = &["From", "To"];

fn is_one_of(name: &str, list: &[&str]) -> bool {
    list.iter()
        .any(|p| names_equal(name.as_bytes(), p.as_bytes()))
}

/// RFC 3261 §25.1 `token`.
fn is_token(s: &str) -> bool {
    !s.is_empty()
        && s.bytes()
            .all(|b| b.is_ascii_alphanumeric() || b"-.!%*_+`'~".contains(&b))
}

/// A header value on one line: no CR, LF or other control characters except tab.
fn is_one_line(s: &str) -> bool {
    !s.chars().any(|c| c.is_control() && c != '\t')
}

fn check_name(name: &str) -> Result<(), Skip> {
    if !is_token(name) {
        return Err(Skip::BadName(name.to_owned()));
    }
    if is_one_of(name, TRANSACTION_HEADERS) {
        return Err(Skip::Protected(name.to_owned()));
    }
    Ok(())
}

fn check_value(name: &str, value: &str) -> Result<(), Skip> {
    if is_one_line(value) {
        Ok(())
    } else {
        Err(Skip::BadValue(name.to_owned()))
    }
}

/// Appends `name: value` after the existing headers but before Content-Length: legal anywhere,
/// but by habit Content-Length closes the header block and some peers' parsers rely on it.
/// A Content-Length elsewhere stays where it is.
fn append(headers: &mut Headers, name: &str, value: &str) {
    let closes_block = headers
        .iter()
        .last()
        .is_some_and(|h| h.is("Content-Length"))
        && headers.count("Content-Length") == 1;
    let content_length = closes_block
        .then(|| headers.remove_first("Content-Length"))
        .flatten();
    headers.append(name, value.to_owned());
    if let Some(h) = content_length {
        // Pushed back as received, byte for byte.
        headers.push(h);
    }
}

/// Adds one more `name` header.
pub(super) fn add(headers: &mut Headers, name: &str, value: &str) -> Result<(), Skip> {
    check_name(name)?;
    if is_one_of(name, DIALOG_HEADERS) {
        return Err(Skip::Protected(name.to_owned()));
    }
    check_value(name, value)?;
    append(headers, name, value);
    Ok(())
}

/// Replaces every `name` header by one, at the place of the first (added as by `add` when
/// absent). A new
/// From or To keeps the tag of the old one, so the dialog stays the same dialog.
pub(super) fn set(headers: &mut Headers, name: &str, value: &str) -> Result<(), Skip> {
    check_name(name)?;
    check_value(name, value)?;
    if is_one_of(name, DIALOG_HEADERS) {
        let mut new = NameAddr::parse(value).ok_or_else(|| Skip::BadValue(name.to_owned()))?;
        let old_tag = headers
            .get(name)
            .and_then(|h| h.value_str())
            .and_then(|v| NameAddr::parse(&v))
            .and_then(|a| a.tag().map(str::to_owned));
        match old_tag {
            Some(tag) => new.params.set("tag", Some(&tag)),
            // A tag the old header did not have would invent a dialog.
            None => {
                new.params.remove("tag");
            }
        }
        headers.set(name, new.to_string());
    } else if headers.get(name).is_some() {
        headers.set(name, value.to_owned());
    } else {
        append(headers, name, value);
    }
    Ok(())
}

/// Removes every `name` header (absent: nothing to do).
pub(super) fn remove(headers: &mut Headers, name: &str) -> Result<(), Skip> {
    check_name(name)?;
    if is_one_of(name, DIALOG_HEADERS) {
        return Err(Skip::Protected(name.to_owned()));
    }
    headers.remove(name);
    Ok(())
}

/// Sets the display name of From or To; an empty value removes it. URI, tag and other
/// parameters are kept.
pub(super) fn set_display_name(
    headers: &mut Headers,
    field: DisplayField,
    value: &str,
) -> Result<(), Skip> {
    let name = match field {
        DisplayField::From => "From",
        DisplayField::To => "To",
    };
    check_value(name, value)?;
    let mut addr = headers
        .get(name)
        .and_then(|h| h.value_str())
        .and_then(|v| NameAddr::parse(&v))
        .ok_or(Skip::BadAddress(name))?;
    addr.display = (!value.is_empty()).then(|| value.to_owned());
    headers.set(name, addr.to_string());
    Ok(())
}
