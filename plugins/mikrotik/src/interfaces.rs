//! `/interface` rows → `interface-status` observations.

use vigia_plugin_sdk::{InterfaceStatus, LinkStatus, Observation, ObservationKind, Target};

use crate::rows::{Row, flag, number, text};

pub(crate) fn observations(rows: &[Row], target: &Target) -> Vec<Observation> {
    rows.iter()
        .enumerate()
        .filter_map(|(position, row)| {
            let name = text(row, "name")?;
            let disabled = flag(row, "disabled") == Some(true);
            let running = flag(row, "running") == Some(true);
            let status = InterfaceStatus {
                index: index(row).unwrap_or_else(|| u32::try_from(position).unwrap_or(u32::MAX)),
                name,
                alias: text(row, "comment"),
                admin_status: if disabled {
                    LinkStatus::Down
                } else {
                    LinkStatus::Up
                },
                oper_status: if running {
                    LinkStatus::Up
                } else {
                    LinkStatus::Down
                },
                speed_bps: None,
                in_octets: number(row, "rx-byte"),
                out_octets: number(row, "tx-byte"),
                in_errors: number(row, "rx-error"),
                out_errors: number(row, "tx-error"),
                in_discards: number(row, "rx-drop"),
                out_discards: number(row, "tx-drop"),
            };
            let mut observation = Observation::new(target, ObservationKind::Interface(status));
            if let Some(kind) = text(row, "type") {
                observation = observation.with_label("type", kind);
            }
            Some(observation)
        })
        .collect()
}

/// The number in a RouterOS `.id` (`*1A` → 26).
fn index(row: &Row) -> Option<u32> {
    let id = row.get(".id")?.strip_prefix('*')?;
    u32::from_str_radix(id, 16).ok()
}
