//! Routing, pure: which channels a notice goes to.

use vigia_correlate::Notice;

use crate::config::{LoadedConfig, Route};

/// The names of the channels whose route accepts this notice, in configuration order.
pub fn channels_for<'a>(notice: &Notice, config: &'a LoadedConfig) -> Vec<&'a str> {
    config
        .channels
        .iter()
        .filter(|channel| channel.route.accepts(notice))
        .map(|channel| channel.name.as_str())
        .collect()
}

impl Route {
    /// Whether this route takes the notice (every condition must hold).
    pub fn accepts(&self, notice: &Notice) -> bool {
        let event = &notice.event;
        let affected = (event.affected.len() as u64).max(event.peak_down);
        self.kinds.contains(&event.kind)
            && self.notices.contains(&notice.kind)
            && affected >= self.min_affected
            && self
                .root_kinds
                .as_ref()
                .is_none_or(|kinds| kinds.contains(&event.root_kind))
            && self
                .roots
                .as_ref()
                .is_none_or(|roots| roots.iter().any(|p| event.root.starts_with(p.as_str())))
    }
}

#[cfg(test)]
mod tests {
    use vigia_correlate::{EventKind, NoticeKind};

    use super::channels_for;
    use crate::config::NotifyConfig;
    use crate::render::tests::sample_notice;

    fn loaded(toml: &str) -> crate::LoadedConfig {
        let dir = tempfile::tempdir().expect("temp dir");
        let secret = dir.path().join("secret");
        std::fs::write(&secret, "s3cret\n").expect("write secret");
        let toml = toml.replace("SECRET", &secret.display().to_string());
        NotifyConfig::from_toml(&toml)
            .expect("parse")
            .load()
            .expect("load")
    }

    const CHANNELS: &str = r#"
        [[channels]]
        name = "all"
        webhook = { url = "http://127.0.0.1:9/hook", secret_file = "SECRET" }

        [[channels]]
        name = "big-olt"
        webhook = { url = "http://127.0.0.1:9/hook", secret_file = "SECRET" }
        route = { kinds = ["mass_outage"], min_affected = 50, root_kinds = ["olt", "pon_port"] }

        [[channels]]
        name = "centro-resolved"
        webhook = { url = "http://127.0.0.1:9/hook", secret_file = "SECRET" }
        route = { notices = ["opened", "resolved"], roots = ["pon_port:OLT CENTRO/"] }
    "#;

    #[test]
    fn routes_by_kind_notice_size_and_root() {
        let config = loaded(CHANNELS);
        let mut notice = sample_notice(NoticeKind::Opened, 52);
        assert_eq!(
            channels_for(&notice, &config),
            ["all", "big-olt", "centro-resolved"]
        );

        notice.kind = NoticeKind::Updated;
        assert_eq!(channels_for(&notice, &config), ["all", "big-olt"]);

        // Fewer affected than the minimum, even at the peak.
        let mut small = sample_notice(NoticeKind::Opened, 10);
        small.event.peak_down = 10;
        assert_eq!(channels_for(&small, &config), ["all", "centro-resolved"]);

        // The peak counts when the affected list is short.
        small.event.peak_down = 50;
        assert_eq!(
            channels_for(&small, &config),
            ["all", "big-olt", "centro-resolved"]
        );

        let mut device = sample_notice(NoticeKind::Opened, 52);
        device.event.kind = EventKind::DeviceDown;
        device.event.root = "olt:OLT NORTE".into();
        device.event.root_kind = "olt".into();
        assert_eq!(channels_for(&device, &config), ["all"]);
    }
}
