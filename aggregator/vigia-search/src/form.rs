//! Forms: the normalised strings a value is indexed under and a query term is looked up by.
//! Each form lives in one of four spaces, so a digits-only query only meets document digits,
//! a hex-only one only MAC hex digits, and an IP-shaped one only IPs.

use crate::Field;

/// Where a form is indexed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Space {
    /// Normalised text of every field (and compact logins and serials).
    Text = 0,
    /// Documents as digits only.
    Digits = 1,
    /// MACs as hex digits only.
    Hex = 2,
    /// IPs, lower case, dots and colons kept.
    Ip = 3,
}

pub(crate) const SPACES: [Space; 4] = [Space::Text, Space::Digits, Space::Hex, Space::Ip];

/// Calls `add` with each form of a value of `field`; `text` is the value already normalised.
pub(crate) fn value_forms(
    field: Field,
    raw: &str,
    text: &str,
    scratch: &mut String,
    mut add: impl FnMut(Space, &str),
) {
    match field {
        Field::Name | Field::Address | Field::Other => add(Space::Text, text),
        Field::Login | Field::OnuSerial => {
            add(Space::Text, text);
            if text.contains(' ') {
                keep(scratch, text, |c| c != ' ');
                add(Space::Text, scratch);
            }
        }
        Field::Document => {
            keep(scratch, text, |c| c.is_ascii_digit());
            add(Space::Digits, scratch);
            if scratch != text {
                add(Space::Text, text);
            }
        }
        Field::Mac => {
            keep(scratch, text, is_hex);
            add(Space::Hex, scratch);
            if !text.chars().all(|c| is_hex(c) || c == ' ') {
                add(Space::Text, text);
            }
        }
        Field::Ip => {
            ip_form(scratch, raw);
            add(Space::Ip, scratch);
        }
    }
}

/// The forms of one query term (or of the whole query as a phrase).
#[derive(Debug, Clone)]
pub(crate) struct TermForms {
    pub forms: Vec<(Space, String)>,
    /// Letters and digits in the normalised text form.
    pub chars: usize,
}

/// Whether the term's text form is made of hex digits only (with spaces).
pub(crate) fn is_hexish(text: &str) -> bool {
    !text.is_empty() && text.chars().all(|c| is_hex(c) || c == ' ')
}

/// The forms of a raw query term; `None` when nothing of it survives normalisation.
/// `hex_anyway` allows the hex form for short letter-only terms (every term of the query is hex).
pub(crate) fn term_forms(raw: &str, hex_anyway: bool) -> Option<TermForms> {
    let text = crate::normalise(raw);
    if text.is_empty() {
        return None;
    }
    let chars = text.chars().filter(|&c| c != ' ').count();
    let mut forms = Vec::with_capacity(4);
    let has_digit = text.bytes().any(|b| b.is_ascii_digit());
    let mut scratch = String::new();
    if has_digit && text.chars().all(|c| c.is_ascii_digit() || c == ' ') {
        keep(&mut scratch, &text, |c| c != ' ');
        forms.push((Space::Digits, scratch.clone()));
    }
    let separated = text.contains(' ') || raw.chars().any(|c| c.is_ascii_punctuation());
    if is_hexish(&text) && (has_digit || separated || chars >= 6 || hex_anyway) {
        keep(&mut scratch, &text, |c| c != ' ');
        forms.push((Space::Hex, scratch.clone()));
    }
    let ipish = raw
        .chars()
        .all(|c| c.is_ascii_hexdigit() || c == '.' || c == ':');
    if ipish && raw.bytes().any(|b| b.is_ascii_digit()) {
        ip_form(&mut scratch, raw);
        forms.push((Space::Ip, scratch.clone()));
    }
    forms.insert(0, (Space::Text, text));
    Some(TermForms { forms, chars })
}

fn is_hex(c: char) -> bool {
    matches!(c, '0'..='9' | 'a'..='f')
}

/// Lower case ASCII letters and digits, dots and colons kept; anything else becomes one space.
fn ip_form(out: &mut String, raw: &str) {
    out.clear();
    let mut pending_space = false;
    for c in raw.chars() {
        if c.is_ascii_alphanumeric() || c == '.' || c == ':' {
            if pending_space && !out.is_empty() {
                out.push(' ');
            }
            pending_space = false;
            out.push(c.to_ascii_lowercase());
        } else {
            pending_space = true;
        }
    }
}

fn keep(out: &mut String, text: &str, f: impl Fn(char) -> bool) {
    out.clear();
    out.extend(text.chars().filter(|&c| f(c)));
}

#[cfg(test)]
mod tests {
    use super::*;

    fn forms(field: Field, raw: &str) -> Vec<(Space, String)> {
        let text = crate::normalise(raw);
        let mut scratch = String::new();
        let mut out = Vec::new();
        value_forms(field, raw, &text, &mut scratch, |s, f| {
            out.push((s, f.to_owned()))
        });
        out
    }

    fn spaces(raw: &str) -> Vec<(Space, String)> {
        term_forms(raw, false).map(|t| t.forms).unwrap_or_default()
    }

    #[test]
    fn value_forms_per_field() {
        assert_eq!(
            forms(Field::Login, "joao.silva123"),
            vec![
                (Space::Text, "joao silva123".into()),
                (Space::Text, "joaosilva123".into())
            ]
        );
        assert_eq!(
            forms(Field::Document, "123.456.789-09"),
            vec![
                (Space::Digits, "12345678909".into()),
                (Space::Text, "123 456 789 09".into())
            ]
        );
        assert_eq!(
            forms(Field::Document, "12345678909"),
            vec![(Space::Digits, "12345678909".into())]
        );
        assert_eq!(
            forms(Field::Mac, "AA:BB:CC:DD:EE:FF"),
            vec![(Space::Hex, "aabbccddeeff".into())]
        );
        assert_eq!(
            forms(Field::Ip, "10.0.1.25"),
            vec![(Space::Ip, "10.0.1.25".into())]
        );
        assert_eq!(
            forms(Field::Ip, "2804:14C::1"),
            vec![(Space::Ip, "2804:14c::1".into())]
        );
    }

    #[test]
    fn query_term_forms() {
        assert_eq!(spaces("joao"), vec![(Space::Text, "joao".into())]);
        // Short letter-only hex words are names, not MAC fragments.
        assert_eq!(spaces("bea"), vec![(Space::Text, "bea".into())]);
        assert_eq!(
            spaces("AA-BB"),
            vec![(Space::Text, "aa bb".into()), (Space::Hex, "aabb".into())]
        );
        assert_eq!(
            spaces("10.0.1"),
            vec![
                (Space::Text, "10 0 1".into()),
                (Space::Digits, "1001".into()),
                (Space::Hex, "1001".into()),
                (Space::Ip, "10.0.1".into())
            ]
        );
        assert_eq!(
            spaces("123.456-7"),
            vec![
                (Space::Text, "123 456 7".into()),
                (Space::Digits, "1234567".into()),
                (Space::Hex, "1234567".into())
            ]
        );
        assert!(term_forms("!!", false).is_none());
        assert_eq!(term_forms("a.b.c", false).map(|t| t.chars), Some(3));
    }
}
