//! What the load-generator examples share: `key=value` arguments and the process's CPU time.

use std::collections::HashMap;

/// The plugin path (first argument) and the `key=value` options after it.
pub struct Args {
    pub plugin_path: String,
    opts: HashMap<String, String>,
}

impl Args {
    /// Parses the command line; `usage` is printed when the plugin path is missing.
    pub fn parse(usage: &str) -> Self {
        let mut args = std::env::args().skip(1);
        let plugin_path = args.next().unwrap_or_else(|| panic!("usage: {usage}"));
        let opts = args
            .map(|arg| {
                let (k, v) = arg.split_once('=').expect("options are key=value");
                (k.to_owned(), v.to_owned())
            })
            .collect();
        Self { plugin_path, opts }
    }

    /// The option `key`, or `default`.
    pub fn opt(&self, key: &str, default: &str) -> String {
        self.opts
            .get(key)
            .cloned()
            .unwrap_or_else(|| default.into())
    }
}

/// User + system CPU seconds of this process so far.
pub fn cpu_seconds() -> f64 {
    use nix::sys::resource::{UsageWho, getrusage};
    let usage = getrusage(UsageWho::RUSAGE_SELF).expect("getrusage");
    let secs = |t: nix::sys::time::TimeVal| t.tv_sec() as f64 + t.tv_usec() as f64 / 1e6;
    secs(usage.user_time()) + secs(usage.system_time())
}
