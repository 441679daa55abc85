//! A probe's targets as the operator writes them: `address`, `id=address`, CIDR ranges that expand
//! to their host addresses, and `targets_file` (one target per line, `#` comments). Every error
//! points at the line of the list element or of the file that holds the bad target.

use std::collections::HashSet;
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};
use std::path::Path;

use toml::Spanned;

use super::{ConfigError, Location};

/// Most targets one probe may have, after expanding CIDR ranges: beyond this, split the probe.
pub(crate) const MAX_TARGETS_PER_PROBE: usize = 65_536;
/// Errors reported per probe for its targets; a wrong file would otherwise flood the terminal.
const MAX_TARGET_ERRORS: usize = 20;

/// A target as written in the config: `address` or `id=address`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct TargetSpec {
    pub(crate) id: String,
    pub(crate) address: String,
}

/// One entry of a target list: a single target or a range of addresses.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Entry {
    One(TargetSpec),
    Range(Cidr),
}

impl TargetSpec {
    /// Parses `address` or `id=address` (not a CIDR range: see [`parse_entry`]).
    pub(crate) fn parse(text: &str) -> Result<Self, String> {
        match parse_entry(text)? {
            Entry::One(spec) => Ok(spec),
            Entry::Range(cidr) => Err(format!("`{cidr}` is a CIDR range; give one address here")),
        }
    }
}

/// Parses `address`, `id=address` or a CIDR range such as `10.0.0.0/24`.
pub(crate) fn parse_entry(text: &str) -> Result<Entry, String> {
    let text = text.trim();
    let (id, address) = match text.split_once('=') {
        Some((id, address)) => (Some(id.trim()), address.trim()),
        None => (None, text),
    };
    if address.is_empty() || id.is_some_and(str::is_empty) {
        return Err(format!("target `{text}` must be `address` or `id=address`"));
    }
    if looks_like_cidr(address) {
        let cidr = Cidr::parse(address)?;
        if id.is_some() {
            return Err(format!(
                "target `{text}`: a CIDR range expands to many targets and cannot take one id"
            ));
        }
        return Ok(Entry::Range(cidr));
    }
    Ok(Entry::One(TargetSpec {
        id: id.unwrap_or(address).to_owned(),
        address: address.to_owned(),
    }))
}

/// `digits-dots-colons/digits`: a CIDR range (URLs and host names never look like this).
fn looks_like_cidr(text: &str) -> bool {
    text.split_once('/').is_some_and(|(ip, prefix)| {
        !ip.is_empty()
            && ip
                .chars()
                .all(|c| c.is_ascii_hexdigit() || c == '.' || c == ':')
            && (ip.contains('.') || ip.contains(':'))
            && !prefix.is_empty()
            && prefix.chars().all(|c| c.is_ascii_digit())
    })
}

/// An IPv4 or IPv6 network: its first address and prefix length.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Cidr {
    network: IpAddr,
    prefix: u8,
}

impl std::fmt::Display for Cidr {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}/{}", self.network, self.prefix)
    }
}

impl Cidr {
    pub(crate) fn parse(text: &str) -> Result<Self, String> {
        let bad = |why: &str| format!("`{text}` is not a valid CIDR range: {why}");
        let (ip, prefix) = text
            .split_once('/')
            .ok_or_else(|| bad("missing `/prefix`"))?;
        let network: IpAddr = ip.parse().map_err(|_| bad("not an IP address"))?;
        let bits = if network.is_ipv4() { 32 } else { 128 };
        let prefix: u8 = prefix
            .parse()
            .ok()
            .filter(|p| *p <= bits)
            .ok_or_else(|| bad(&format!("the prefix must be 0..={bits}")))?;
        let cidr = Self { network, prefix };
        let aligned = cidr.host_bits_clear();
        if aligned != network {
            return Err(bad(&format!(
                "host bits are set (the network is {aligned}/{prefix})"
            )));
        }
        Ok(cidr)
    }

    fn host_bits_clear(&self) -> IpAddr {
        match self.network {
            IpAddr::V4(a) => {
                let mask = u32::MAX
                    .checked_shl(32 - u32::from(self.prefix))
                    .unwrap_or(0);
                IpAddr::V4(Ipv4Addr::from(u32::from(a) & mask))
            }
            IpAddr::V6(a) => {
                let mask = u128::MAX
                    .checked_shl(128 - u32::from(self.prefix))
                    .unwrap_or(0);
                IpAddr::V6(Ipv6Addr::from(u128::from(a) & mask))
            }
        }
    }

    /// The host addresses of the range: every address but the IPv4 network and broadcast
    /// addresses (kept in /31 and /32) and the IPv6 subnet-router anycast address (kept in
    /// /127 and /128).
    fn host_range(&self) -> (u128, u128) {
        let (bits, base) = match self.network {
            IpAddr::V4(a) => (32u32, u128::from(u32::from(a))),
            IpAddr::V6(a) => (128, u128::from(a)),
        };
        let host_bits = bits - u32::from(self.prefix);
        let last = base | 1u128.checked_shl(host_bits).map_or(u128::MAX, |n| n - 1);
        match (self.network, host_bits) {
            (_, 0 | 1) => (base, last),
            (IpAddr::V4(_), _) => (base + 1, last - 1),
            (IpAddr::V6(_), _) => (base + 1, last),
        }
    }

    /// How many targets the range expands to.
    pub(crate) fn len(&self) -> u128 {
        let (first, last) = self.host_range();
        last - first + 1
    }

    /// The host addresses, in order. Callers check [`Cidr::len`] against the cap first.
    pub(crate) fn addresses(&self) -> impl Iterator<Item = IpAddr> + use<> {
        let (first, last) = self.host_range();
        let v4 = self.network.is_ipv4();
        (first..=last).map(move |n| match v4 {
            // A v4 range only holds values below 2^32.
            true => IpAddr::V4(Ipv4Addr::from(n as u32)),
            false => IpAddr::V6(Ipv6Addr::from(n)),
        })
    }
}

/// Collects a probe's targets from its list and its file, expanding ranges, refusing duplicates
/// and more than [`MAX_TARGETS_PER_PROBE`].
pub(crate) struct TargetCollector<'a> {
    probe: &'a str,
    pub(crate) targets: Vec<TargetSpec>,
    ids: HashSet<String>,
    pub(crate) errors: Vec<ConfigError>,
    dropped_errors: usize,
}

impl<'a> TargetCollector<'a> {
    pub(crate) fn new(probe: &'a str) -> Self {
        Self {
            probe,
            targets: Vec::new(),
            ids: HashSet::new(),
            errors: Vec::new(),
            dropped_errors: 0,
        }
    }

    fn error(&mut self, location: Location, message: String) {
        if self.errors.len() < MAX_TARGET_ERRORS {
            let message = format!("probe `{}`: {message}", self.probe);
            self.errors.push(ConfigError { location, message });
        } else {
            self.dropped_errors += 1;
        }
    }

    /// Adds one written entry found at `location`.
    pub(crate) fn add(&mut self, text: &str, location: Location) {
        let entry = match parse_entry(text) {
            Ok(entry) => entry,
            Err(message) => return self.error(location, message),
        };
        match entry {
            Entry::One(spec) => {
                if self.targets.len() >= MAX_TARGETS_PER_PROBE {
                    return self.too_many(location, 1);
                }
                self.push(spec, &location);
            }
            Entry::Range(cidr) => {
                let room = MAX_TARGETS_PER_PROBE - self.targets.len().min(MAX_TARGETS_PER_PROBE);
                if cidr.len() > room as u128 {
                    return self.too_many(location, cidr.len());
                }
                for address in cidr.addresses() {
                    let address = address.to_string();
                    let spec = TargetSpec {
                        id: address.clone(),
                        address,
                    };
                    self.push(spec, &location);
                }
            }
        }
    }

    fn push(&mut self, spec: TargetSpec, location: &Location) {
        if self.ids.insert(spec.id.clone()) {
            self.targets.push(spec);
        } else {
            let message = format!("target id `{}` appears twice", spec.id);
            self.error(location.clone(), message);
        }
    }

    fn too_many(&mut self, location: Location, adding: u128) {
        let message = format!(
            "adding {adding} targets to the {} already listed goes past the {MAX_TARGETS_PER_PROBE} targets a probe may have; split it into several probes",
            self.targets.len()
        );
        self.error(location, message);
    }

    /// Adds the entries of a config list; each element's line comes from its span.
    pub(crate) fn add_list(&mut self, list: &[Spanned<String>], at: impl Fn(usize) -> Location) {
        for item in list {
            self.add(item.get_ref(), at(item.span().start));
        }
    }

    /// Adds the targets of a file: one per line, blank lines and `#` comments ignored.
    pub(crate) fn add_file(&mut self, path: &Path, written_at: Location) {
        let text = match std::fs::read_to_string(path) {
            Ok(text) => text,
            Err(error) => {
                let message = format!("cannot read targets_file {}: {error}", path.display());
                return self.error(written_at, message);
            }
        };
        for (index, line) in text.lines().enumerate() {
            let entry = strip_comment(line).trim();
            if entry.is_empty() {
                continue;
            }
            let location = Location {
                file: path.to_path_buf(),
                line: index + 1,
            };
            self.add(entry, location);
        }
    }

    /// Finishes: the targets, or every error found (with a count of those not shown).
    pub(crate) fn finish(
        mut self,
        probe_at: &Location,
    ) -> Result<Vec<TargetSpec>, Vec<ConfigError>> {
        if self.dropped_errors > 0 {
            let message = format!(
                "probe `{}`: {} more target errors not shown",
                self.probe, self.dropped_errors
            );
            self.errors.push(ConfigError {
                location: probe_at.clone(),
                message,
            });
        }
        if self.errors.is_empty() && self.targets.is_empty() {
            let message = format!(
                "probe `{}`: no targets: list some in `targets` or `targets_file`",
                self.probe
            );
            self.errors.push(ConfigError {
                location: probe_at.clone(),
                message,
            });
        }
        if self.errors.is_empty() {
            Ok(self.targets)
        } else {
            Err(self.errors)
        }
    }
}

/// A line without its comment: `#` at the start or after whitespace begins one.
fn strip_comment(line: &str) -> &str {
    let bytes = line.as_bytes();
    let start = bytes
        .iter()
        .enumerate()
        .find(|&(i, &b)| b == b'#' && (i == 0 || bytes[i - 1].is_ascii_whitespace()))
        .map_or(line.len(), |(i, _)| i);
    &line[..start]
}

#[cfg(test)]
mod tests;
