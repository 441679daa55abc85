//! Text normalisation shared by indexing and querying.

use unicode_normalization::char::{decompose_compatible, is_combining_mark};

/// Normalises `s` for matching: lower case, compatibility decomposition (NFKD) with combining
/// marks dropped, Turkish dotless `ı` folded to `i`, and every run of characters that are not
/// letters or digits replaced by one space, trimmed.
///
/// ```
/// assert_eq!(vigia_search::normalise("  Conceição, RUA 1º!"), "conceicao rua 1o");
/// ```
pub fn normalise(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    normalise_into(&mut out, s);
    out
}

/// Clears `out` and writes the normalised form of `s` into it.
pub(crate) fn normalise_into(out: &mut String, s: &str) {
    out.clear();
    let mut w = Writer {
        out,
        pending_space: false,
    };
    for c in s.chars() {
        if c.is_ascii_alphanumeric() {
            w.alnum(c.to_ascii_lowercase());
        } else if c.is_ascii() {
            w.pending_space = true;
        } else {
            decompose_compatible(c, |d| w.decomposed(d));
        }
    }
}

struct Writer<'a> {
    out: &'a mut String,
    pending_space: bool,
}

impl Writer<'_> {
    fn ascii(&mut self, c: char) {
        if c.is_ascii_alphanumeric() {
            self.alnum(c.to_ascii_lowercase());
        } else {
            self.pending_space = true;
        }
    }

    fn decomposed(&mut self, d: char) {
        if d.is_ascii() {
            self.ascii(d);
            return;
        }
        if is_combining_mark(d) {
            return;
        }
        for l in d.to_lowercase() {
            if is_combining_mark(l) {
                continue;
            }
            if l == 'ı' {
                self.alnum('i');
            } else if l.is_alphanumeric() {
                self.alnum(l);
            } else {
                self.pending_space = true;
            }
        }
    }

    #[inline]
    fn alnum(&mut self, c: char) {
        if self.pending_space && !self.out.is_empty() {
            self.out.push(' ');
        }
        self.pending_space = false;
        self.out.push(c);
    }
}

#[cfg(test)]
mod tests {
    use super::normalise;

    #[test]
    fn folds_case_accents_and_punctuation() {
        assert_eq!(normalise("João"), "joao");
        assert_eq!(normalise("JOÃO"), "joao");
        assert_eq!(normalise("Conceição"), "conceicao");
        assert_eq!(normalise("Rua das Flores, 123"), "rua das flores 123");
        assert_eq!(normalise("  --a--b--  "), "a b");
        assert_eq!(normalise("!!"), "");
        assert_eq!(normalise(""), "");
    }

    #[test]
    fn decomposes_combining_and_compatibility_forms() {
        // "e" followed by a combining acute accent, and a precomposed "é".
        assert_eq!(normalise("Jose\u{301}"), "jose");
        assert_eq!(normalise("José"), "jose");
        assert_eq!(normalise("ﬁm"), "fim");
        assert_eq!(normalise("１２３"), "123");
        assert_eq!(normalise("Nº 5"), "no 5");
    }

    #[test]
    fn turkish_i_and_other_scripts_do_not_panic() {
        assert_eq!(normalise("İSTANBUL ıi"), "istanbul ii");
        assert_eq!(normalise("東京 タワー"), "東京 タワー");
        assert_eq!(normalise("ação 😀 👨‍👩‍👧 ok"), "acao ok");
        assert_eq!(normalise("\u{301}\u{301}a"), "a");
        assert_eq!(normalise("Straße"), "straße");
    }
}
