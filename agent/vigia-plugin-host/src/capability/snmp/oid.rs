//! Numeric OIDs: parsing the dotted text plugins send, and formatting what devices answer.

use snmp2::Oid;

use crate::bindings::vigia::plugin::types::HostError as WitHostError;

/// Longest OID accepted (RFC 2578 allows 128 sub-identifiers).
const MAX_ARCS: usize = 128;

/// Parses a dotted numeric OID ("1.3.6.1.2.1.1.1.0"; a leading dot is accepted).
pub(crate) fn parse(text: &str) -> Result<Vec<u64>, WitHostError> {
    let invalid = |why: &str| {
        Err(WitHostError::InvalidArgument(format!(
            "'{text}' is not a numeric OID: {why}"
        )))
    };
    let body = text.strip_prefix('.').unwrap_or(text);
    if body.is_empty() {
        return invalid("it is empty");
    }
    let mut arcs = Vec::new();
    for part in body.split('.') {
        if part.is_empty() || !part.bytes().all(|b| b.is_ascii_digit()) {
            return invalid("expected digits separated by dots (names need a MIB, use numbers)");
        }
        let Ok(arc) = part.parse::<u32>() else {
            return invalid("a sub-identifier is larger than 4294967295");
        };
        arcs.push(u64::from(arc));
    }
    if arcs.len() < 2 {
        return invalid("it needs at least two sub-identifiers");
    }
    if arcs.len() > MAX_ARCS {
        return invalid("it has more than 128 sub-identifiers");
    }
    if arcs[0] > 2 || (arcs[0] < 2 && arcs[1] >= 40) {
        return invalid("it must start with 0, 1 or 2 (and a second arc under 40 after 0 or 1)");
    }
    Ok(arcs)
}

/// The wire form of parsed arcs (as checked by [`parse`]).
pub(crate) fn encode(arcs: &[u64]) -> Result<Oid<'static>, WitHostError> {
    Oid::from(arcs).map_err(|e| {
        WitHostError::InvalidArgument(format!("cannot encode OID {}: {e:?}", format(arcs)))
    })
}

/// The arcs of an OID from a device; `None` when one does not fit in 64 bits.
pub(crate) fn arcs(oid: &Oid<'_>) -> Option<Vec<u64>> {
    oid.iter().map(|arcs| arcs.collect())
}

pub(crate) fn format(arcs: &[u64]) -> String {
    let mut text = String::with_capacity(arcs.len() * 4);
    for (i, arc) in arcs.iter().enumerate() {
        if i > 0 {
            text.push('.');
        }
        text.push_str(&arc.to_string());
    }
    text
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_and_formats_numeric_oids() {
        assert_eq!(
            parse("1.3.6.1.2.1.1.1.0").unwrap(),
            vec![1, 3, 6, 1, 2, 1, 1, 1, 0]
        );
        assert_eq!(parse(".1.3.6").unwrap(), vec![1, 3, 6]);
        assert_eq!(
            format(&parse("1.3.6.1.4.1.4294967295").unwrap()),
            "1.3.6.1.4.1.4294967295"
        );
        let encoded = encode(&[1, 3, 6, 1, 2, 1, 1, 1, 0]).unwrap();
        assert_eq!(arcs(&encoded).unwrap(), vec![1, 3, 6, 1, 2, 1, 1, 1, 0]);
    }

    #[test]
    fn rejects_what_is_not_a_numeric_oid() {
        for bad in [
            "",
            ".",
            "1",
            "sysDescr.0",
            "1..3",
            "1.3.",
            "1.3.-6",
            "3.1",
            "1.40",
            "1.3.4294967296",
            "1.3.6 ",
        ] {
            match parse(bad) {
                Err(WitHostError::InvalidArgument(text)) => {
                    assert!(text.contains("numeric OID"), "{bad}: {text}")
                }
                other => panic!("{bad:?} gave {other:?}"),
            }
        }
        let long = vec!["1"; 129].join(".");
        assert!(parse(&long).is_err());
    }
}
