//! The operator's overrides file: names and sites of entities, edges that vendors do not know
//! (which tower feeds which), and observed edges to hide (known wrong).
//!
//! ```toml
//! [[entity]]
//! id = "olt:olt-1"
//! name = "OLT Centro"
//! site = "pop:centro"
//!
//! [[edge]]
//! parent = "pop:centro"
//! child = "olt:olt-1"
//! relation = "fibre"      # default "logical"
//!
//! [[remove_edge]]
//! parent = "pon_port:olt-1/0/3"
//! child = "onu:HWTC00000001"
//! ```
//!
//! Errors name the file, line and column of the offending value.

use std::collections::BTreeSet;
use std::ops::Range;
use std::path::{Path, PathBuf};

use serde::Deserialize;
use toml::Spanned;
use vigia_core::EntityKind;

use crate::id::EntityId;

/// Why an overrides file was refused.
#[derive(Debug, thiserror::Error)]
pub enum OverridesError {
    #[error("cannot read overrides file {path}")]
    Read {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
    #[error("{path}:{line}:{column}: {message}")]
    Invalid {
        path: PathBuf,
        /// 1-based.
        line: usize,
        /// 1-based, in characters.
        column: usize,
        message: String,
    },
}

/// A name and/or site for one entity.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EntityOverride {
    pub id: EntityId,
    pub name: Option<String>,
    pub site: Option<EntityId>,
}

/// An edge the operator asserts: `child` depends on `parent`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EdgeOverride {
    pub parent: EntityId,
    pub child: EntityId,
    pub relation: String,
}

/// A parsed, validated overrides file.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Overrides {
    pub entities: Vec<EntityOverride>,
    pub edges: Vec<EdgeOverride>,
    /// Observed edges to hide: `(parent, child)`.
    pub remove_edges: Vec<(EntityId, EntityId)>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawFile {
    #[serde(default)]
    entity: Vec<RawEntity>,
    #[serde(default)]
    edge: Vec<RawEdge>,
    #[serde(default)]
    remove_edge: Vec<RawPair>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawEntity {
    id: Spanned<String>,
    name: Option<Spanned<String>>,
    site: Option<Spanned<String>>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawEdge {
    parent: Spanned<String>,
    child: Spanned<String>,
    relation: Option<Spanned<String>>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawPair {
    parent: Spanned<String>,
    child: Spanned<String>,
}

impl Overrides {
    /// Reads and parses the file at `path`.
    pub fn load(path: &Path) -> Result<Self, OverridesError> {
        let text = std::fs::read_to_string(path).map_err(|source| OverridesError::Read {
            path: path.to_owned(),
            source,
        })?;
        Self::parse(&text, path)
    }

    /// Parses `text`; `path` is only used in error messages.
    pub fn parse(text: &str, path: &Path) -> Result<Self, OverridesError> {
        let parser = Parser { text, path };
        let raw: RawFile = toml::from_str(text).map_err(|error| {
            parser.error(error.span().unwrap_or(0..0), error.message().to_owned())
        })?;
        let mut overrides = Overrides::default();
        let mut ids = BTreeSet::new();
        for entity in raw.entity {
            let id = parser.id(&entity.id)?;
            if !ids.insert(id.clone()) {
                return Err(parser.error(entity.id.span(), format!("entity {id} is listed twice")));
            }
            let name = match entity.name {
                Some(name) if name.get_ref().trim().is_empty() => {
                    return Err(parser.error(name.span(), "name is empty".to_owned()));
                }
                Some(name) => Some(name.into_inner().trim().to_owned()),
                None => None,
            };
            let site = entity.site.map(|site| parser.site(&site)).transpose()?;
            overrides.entities.push(EntityOverride { id, name, site });
        }
        let mut edges = BTreeSet::new();
        for edge in raw.edge {
            let (parent, child) = parser.pair(&edge.parent, &edge.child)?;
            let relation = match edge.relation {
                Some(relation) => parser.relation(&relation)?,
                None => "logical".to_owned(),
            };
            if !edges.insert((parent.clone(), child.clone())) {
                return Err(parser.error(
                    edge.child.span(),
                    format!("edge {parent} -> {child} is listed twice"),
                ));
            }
            overrides.edges.push(EdgeOverride {
                parent,
                child,
                relation,
            });
        }
        for pair in raw.remove_edge {
            let ids = parser.pair(&pair.parent, &pair.child)?;
            overrides.remove_edges.push(ids);
        }
        Ok(overrides)
    }
}

struct Parser<'a> {
    text: &'a str,
    path: &'a Path,
}

impl Parser<'_> {
    fn error(&self, span: Range<usize>, message: String) -> OverridesError {
        let offset = span.start.min(self.text.len());
        let before = self.text.get(..offset).unwrap_or("");
        let line = before.matches('\n').count() + 1;
        let line_start = before.rfind('\n').map_or(0, |i| i + 1);
        let column = before.get(line_start..).map_or(0, |l| l.chars().count()) + 1;
        OverridesError::Invalid {
            path: self.path.to_owned(),
            line,
            column,
            message,
        }
    }

    fn id(&self, value: &Spanned<String>) -> Result<EntityId, OverridesError> {
        EntityId::parse(value.get_ref()).map_err(|e| self.error(value.span(), e.to_string()))
    }

    /// A site: a `pop:` id, or a bare POP name.
    fn site(&self, value: &Spanned<String>) -> Result<EntityId, OverridesError> {
        let text = value.get_ref().trim();
        let id = if text.contains(':') {
            EntityId::parse(text)
        } else {
            EntityId::new(&EntityKind::Pop, text)
        };
        id.map_err(|e| self.error(value.span(), e.to_string()))
    }

    fn pair(
        &self,
        parent: &Spanned<String>,
        child: &Spanned<String>,
    ) -> Result<(EntityId, EntityId), OverridesError> {
        let (p, c) = (self.id(parent)?, self.id(child)?);
        if p == c {
            return Err(self.error(child.span(), format!("edge from {p} to itself")));
        }
        Ok((p, c))
    }

    fn relation(&self, value: &Spanned<String>) -> Result<String, OverridesError> {
        let text = value.get_ref().trim();
        if text.is_empty()
            || !text
                .bytes()
                .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'_')
        {
            return Err(self.error(
                value.span(),
                format!("relation {text:?} is not snake case (fibre, radio, ethernet, power, logical...)"),
            ));
        }
        Ok(text.to_owned())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(text: &str) -> Result<Overrides, OverridesError> {
        Overrides::parse(text, Path::new("overrides.toml"))
    }

    #[test]
    fn parses_entities_edges_and_removals() {
        let overrides = parse(
            r#"
[[entity]]
id = "olt:olt-1"
name = "OLT Centro"
site = "centro"

[[edge]]
parent = "pop:centro"
child = "olt:olt-1"
relation = "fibre"

[[edge]]
parent = "tower:norte"
child = "tower:sul"

[[remove_edge]]
parent = "pon_port:olt-1/0/3"
child = "onu:hwtc00000001"
"#,
        )
        .unwrap();
        assert_eq!(
            overrides.entities,
            vec![EntityOverride {
                id: EntityId::parse("olt:olt-1").unwrap(),
                name: Some("OLT Centro".into()),
                site: Some(EntityId::parse("pop:centro").unwrap()),
            }]
        );
        assert_eq!(overrides.edges.len(), 2);
        assert_eq!(overrides.edges[0].relation, "fibre");
        assert_eq!(overrides.edges[1].relation, "logical");
        assert_eq!(
            overrides.remove_edges[0].1.as_str(),
            "onu:HWTC00000001",
            "ids are normalised"
        );
    }

    fn invalid(text: &str) -> (usize, usize, String) {
        match parse(text).unwrap_err() {
            OverridesError::Invalid {
                path,
                line,
                column,
                message,
            } => {
                assert_eq!(path, Path::new("overrides.toml"));
                (line, column, message)
            }
            other => panic!("unexpected {other:?}"),
        }
    }

    #[test]
    fn bad_id_is_reported_at_its_line() {
        let (line, column, message) =
            invalid("[[entity]]\nid = \"olt:a\"\n\n[[entity]]\nid = \"no-kind\"\n");
        assert_eq!((line, column), (5, 6));
        assert!(message.contains("no `<kind>:` prefix"), "{message}");
    }

    #[test]
    fn toml_syntax_errors_carry_the_line() {
        let (line, _, _) = invalid("[[edge]]\nparent = \"pop:a\"\nchild = \n");
        assert_eq!(line, 3);
    }

    #[test]
    fn unknown_keys_and_duplicates_are_refused() {
        let (line, _, message) = invalid("[[entity]]\nid = \"olt:a\"\nnmae = \"x\"\n");
        assert_eq!(line, 3);
        assert!(message.contains("nmae"), "{message}");
        let (line, _, message) =
            invalid("[[entity]]\nid = \"olt:a\"\n[[entity]]\nid = \"olt:a \"\n");
        assert_eq!(line, 4);
        assert!(message.contains("twice"), "{message}");
        let (_, _, message) = invalid("[[edge]]\nparent = \"pop:a\"\nchild = \"pop:a\"\n");
        assert!(message.contains("itself"), "{message}");
        let (line, _, message) = invalid(
            "[[edge]]\nparent = \"pop:a\"\nchild = \"olt:b\"\nrelation = \"Fibre Optic\"\n",
        );
        assert_eq!(line, 4);
        assert!(message.contains("snake case"), "{message}");
    }

    #[test]
    fn load_names_the_missing_file() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("missing.toml");
        let err = Overrides::load(&path).unwrap_err();
        assert!(err.to_string().contains("missing.toml"), "{err}");
        std::fs::write(
            &path,
            "[[entity]]\nid = \"pop:centro\"\nname = \"Centro\"\n",
        )
        .unwrap();
        assert_eq!(Overrides::load(&path).unwrap().entities.len(), 1);
    }
}
