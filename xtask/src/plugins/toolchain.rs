//! Which compiler builds which wasm target, and the exact cargo command for it.
//!
//! Per target: a rustup (or other PATH) toolchain that has the target installed builds it the
//! usual way; otherwise Debian's `rustc-web` toolchain builds it with `-Zbuild-std` (see
//! `/work/shared/docs/wasm-toolchain.md`), installed by apt-get when missing.

use std::path::{Path, PathBuf};
use std::process::Command;

use anyhow::{Context, Result, bail};

use crate::cmd;

/// Debian's toolchain: cargo/rustc 1.96 (LLVM 22) with std sources and `wasm-component-ld`.
const DEBIAN_PACKAGES: &[&str] = &[
    "rustc-web",
    "cargo-web",
    "rust-web-src",
    "rust-web-llvm",
    "lld-22",
];
/// Debian's WASI preview-1 libc; `-Zbuild-std` for wasm32-wasip2 links against it.
const DEBIAN_WASI_LIBC_PACKAGE: &str = "wasi-libc";
const DEBIAN_CARGO: &str = "/usr/bin/cargo";
const DEBIAN_RUSTC: &str = "/usr/bin/rustc";
const DEBIAN_STD_SOURCES: &str = "/usr/lib/rustlib/src/rust/library/std";
const DEBIAN_WASM_LD: &str = "/usr/bin/wasm-ld-22";
const DEBIAN_WASI_LIBC_DIR: &str = "/usr/lib/wasm32-wasi";

/// A wasm target the plugin workspace builds for.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub(crate) enum Target {
    /// Plugins: no WASI, every import is a Vigia host capability.
    Unknown,
    /// Guests that import WASI through std.
    WasiP2,
}

impl Target {
    pub(crate) fn triple(self) -> &'static str {
        match self {
            Target::Unknown => "wasm32-unknown-unknown",
            Target::WasiP2 => "wasm32-wasip2",
        }
    }

    pub(crate) fn parse(triple: &str) -> Result<Self> {
        match triple {
            "wasm32-unknown-unknown" => Ok(Target::Unknown),
            "wasm32-wasip2" => Ok(Target::WasiP2),
            other => bail!(
                "unsupported plugin target `{other}` (use wasm32-unknown-unknown or wasm32-wasip2)"
            ),
        }
    }

    /// The `CARGO_TARGET_<TRIPLE>_` prefix of cargo's per-target environment variables.
    fn env_prefix(self) -> String {
        format!(
            "CARGO_TARGET_{}_",
            self.triple().to_uppercase().replace('-', "_")
        )
    }
}

/// The compiler chosen for one target.
#[derive(Debug)]
pub(crate) enum Toolchain {
    /// The toolchain on PATH (rustup's), which has the target installed.
    Installed { cargo: PathBuf, sysroot: PathBuf },
    /// Debian's toolchain with `-Zbuild-std`.
    Debian { host: String },
}

impl Toolchain {
    /// Picks the toolchain for `target`, installing Debian's when it is needed and missing.
    pub(crate) fn for_target(plugins_dir: &Path, target: Target) -> Result<Self> {
        if let Some(sysroot) = installed_sysroot_with(plugins_dir, target)? {
            let cargo =
                std::env::var_os("CARGO").map_or_else(|| PathBuf::from("cargo"), PathBuf::from);
            let toolchain = Toolchain::Installed { cargo, sysroot };
            if target == Target::WasiP2 || toolchain.installed_component_linker().is_some() {
                return Ok(toolchain);
            }
        }
        ensure_debian(target)?;
        let version = cmd::output(Command::new(DEBIAN_RUSTC).arg("-vV"))?;
        let host = version
            .lines()
            .find_map(|line| line.strip_prefix("host: "))
            .context("`/usr/bin/rustc -vV` printed no host line")?
            .to_owned();
        Ok(Toolchain::Debian { host })
    }

    pub(crate) fn describe(&self) -> String {
        match self {
            Toolchain::Installed { sysroot, .. } => {
                format!("installed toolchain at {}", sysroot.display())
            }
            Toolchain::Debian { .. } => "Debian rustc-web with -Zbuild-std".to_owned(),
        }
    }

    /// `cargo build --release` of `packages` (manifest paths) for `target` into `target_dir`.
    pub(crate) fn build_command(
        &self,
        target: Target,
        workspace_manifest: &Path,
        packages: &[String],
        target_dir: &Path,
    ) -> Command {
        let program = match self {
            Toolchain::Installed { cargo, .. } => cargo.clone(),
            Toolchain::Debian { .. } => PathBuf::from(DEBIAN_CARGO),
        };
        let mut command = Command::new(program);
        command
            .arg("build")
            .arg("--release")
            .args(["--target", target.triple()])
            .arg("--manifest-path")
            .arg(workspace_manifest)
            .arg("--target-dir")
            .arg(target_dir);
        for package in packages {
            command.args(["--package", package]);
        }
        // Fixed flags: anything inherited here would change the fingerprint and rebuild std.
        for var in [
            "RUSTFLAGS",
            "CARGO_ENCODED_RUSTFLAGS",
            "CARGO_BUILD_RUSTFLAGS",
            "RUSTC_WRAPPER",
            "RUSTC_WORKSPACE_WRAPPER",
        ] {
            command.env_remove(var);
        }
        let prefix = target.env_prefix();
        match self {
            Toolchain::Installed { .. } => {
                if let Some(linker) = self.installed_component_linker() {
                    command.env(format!("{prefix}LINKER"), linker.0);
                    command.env(
                        format!("{prefix}RUSTFLAGS"),
                        format!("-C link-arg=--wasm-ld-path={}", linker.1.display()),
                    );
                }
            }
            Toolchain::Debian { host } => {
                // rustup's cargo proxy left these pointing at its own toolchain.
                for var in ["RUSTUP_TOOLCHAIN", "CARGO", "RUSTDOC"] {
                    command.env_remove(var);
                }
                command
                    .env("RUSTC", DEBIAN_RUSTC)
                    .env("RUSTC_BOOTSTRAP", "1");
                command.arg("-Zbuild-std=std,panic_abort");
                command.env(format!("{prefix}LINKER"), debian_component_linker(host));
                let mut flags = format!("-C link-arg=--wasm-ld-path={DEBIAN_WASM_LD}");
                if target == Target::WasiP2 {
                    flags.push_str(&format!(" -L native={DEBIAN_WASI_LIBC_DIR}"));
                }
                command.env(format!("{prefix}RUSTFLAGS"), flags);
            }
        }
        command
    }

    /// For wasm32-unknown-unknown on an installed toolchain: rustup ships `wasm-component-ld` and
    /// lld (`gcc-ld/wasm-ld`, a wrapper running `rust-lld -flavor wasm`) in the sysroot; linking
    /// with them writes a component directly. (Checked on this machine with rustup 1.95's pair;
    /// `rust-lld` itself as the wasm-ld path fails: "lld is a generic driver".)
    fn installed_component_linker(&self) -> Option<(PathBuf, PathBuf)> {
        let Toolchain::Installed { sysroot, .. } = self else {
            return None;
        };
        let host_bin = std::fs::read_dir(sysroot.join("lib/rustlib"))
            .ok()?
            .flatten()
            .map(|entry| entry.path().join("bin"))
            .find(|bin| bin.join("wasm-component-ld").is_file())?;
        let wasm_ld = host_bin.join("gcc-ld/wasm-ld");
        wasm_ld
            .is_file()
            .then(|| (host_bin.join("wasm-component-ld"), wasm_ld))
    }
}

/// The sysroot of the PATH toolchain (as seen from `plugins/`) when it has `target` installed.
fn installed_sysroot_with(plugins_dir: &Path, target: Target) -> Result<Option<PathBuf>> {
    let rustc = std::env::var_os("RUSTC").unwrap_or_else(|| "rustc".into());
    let Ok(sysroot) = cmd::output(
        Command::new(&rustc)
            .args(["--print", "sysroot"])
            .current_dir(plugins_dir),
    ) else {
        return Ok(None);
    };
    let sysroot = PathBuf::from(sysroot.trim());
    let has_target = sysroot
        .join("lib/rustlib")
        .join(target.triple())
        .join("lib")
        .is_dir();
    Ok(has_target.then_some(sysroot))
}

fn debian_component_linker(host: &str) -> PathBuf {
    Path::new("/usr/lib/rustlib")
        .join(host)
        .join("bin/wasm-component-ld")
}

/// Installs Debian's toolchain (and wasi-libc for wasip2) when a piece of it is missing.
fn ensure_debian(target: Target) -> Result<()> {
    let mut required = vec![
        DEBIAN_CARGO,
        DEBIAN_RUSTC,
        DEBIAN_STD_SOURCES,
        DEBIAN_WASM_LD,
    ];
    if target == Target::WasiP2 {
        required.push(DEBIAN_WASI_LIBC_DIR);
    }
    let linker_present = std::fs::read_dir("/usr/lib/rustlib")
        .map(|dirs| {
            dirs.flatten()
                .any(|dir| dir.path().join("bin/wasm-component-ld").is_file())
        })
        .unwrap_or(false);
    let missing: Vec<&str> = required
        .iter()
        .copied()
        .filter(|path| !Path::new(path).exists())
        .collect();
    if missing.is_empty() && linker_present {
        return Ok(());
    }
    let mut packages = DEBIAN_PACKAGES.to_vec();
    if target == Target::WasiP2 {
        packages.push(DEBIAN_WASI_LIBC_PACKAGE);
    }
    eprintln!(
        "no installed toolchain has {} and Debian's is incomplete (missing: {}); installing {}",
        target.triple(),
        if missing.is_empty() {
            "wasm-component-ld".to_owned()
        } else {
            missing.join(", ")
        },
        packages.join(" ")
    );
    // `apt_install` runs apt-get only as root and otherwise fails naming the command to run.
    cmd::apt_install(&packages)
        .with_context(|| format!("cannot install the toolchain for {}", target.triple()))
}
