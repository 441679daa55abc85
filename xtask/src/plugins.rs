//! `cargo xtask plugins`: builds the plugin workspace (`plugins/`) into wasm components.
//!
//! - Plugins (`plugins/<id>/`) go to `target/plugins/<id>.wasm`; test guests
//!   (`plugins/test-guests/<name>/`) to `target/plugins/test-guests/<name>.wasm`.
//! - A package builds for `wasm32-unknown-unknown` unless its Cargo.toml says otherwise with
//!   `[package.metadata.vigia] target = "wasm32-wasip2"` (the `wasi` guest).
//! - The toolchain is chosen per target (see [`toolchain`]); the plugin workspace keeps its own
//!   target dir, `plugins/target`, and fixed flags, so std is built once.
//! - Every output is checked to be a component (not a core module) before it is copied.
//!
//! It does not validate what a component imports or exports: the host's conformance tests do.

mod toolchain;

use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::Instant;

use anyhow::{Context, Result, bail};

use crate::cmd;
use toolchain::{Target, Toolchain};

/// The first 8 bytes of a WebAssembly component (magic, version 0x0d, layer 1).
const COMPONENT_HEADER: [u8; 8] = *b"\0asm\x0d\0\x01\0";

/// A package of the plugin workspace.
#[derive(Debug)]
struct Package {
    /// Folder name = package name = plugin id.
    name: String,
    version: String,
    target: Target,
    /// True for `plugins/test-guests/*`.
    guest: bool,
}

impl Package {
    /// Where cargo writes the component.
    fn built(&self, target_dir: &Path) -> PathBuf {
        let file = format!("{}.wasm", self.name.replace('-', "_"));
        target_dir
            .join(self.target.triple())
            .join("release")
            .join(file)
    }

    /// Where the host looks for it.
    fn artifact(&self, out_dir: &Path) -> PathBuf {
        let dir = if self.guest {
            out_dir.join("test-guests")
        } else {
            out_dir.to_owned()
        };
        dir.join(format!("{}.wasm", self.name))
    }
}

/// Builds every plugin and test guest; returns the paths of the `.wasm` files written.
pub(crate) fn build_all(root: &Path) -> Result<Vec<PathBuf>> {
    let started = Instant::now();
    let plugins_dir = root.join("plugins");
    let target_dir = plugins_dir.join("target");
    let out_dir = root.join("target").join("plugins");
    let packages = discover(&plugins_dir)?;

    let mut targets: Vec<Target> = packages.iter().map(|package| package.target).collect();
    targets.sort();
    targets.dedup();
    for target in targets {
        let toolchain = Toolchain::for_target(&plugins_dir, target)?;
        let selected: Vec<String> = packages
            .iter()
            .filter(|package| package.target == target)
            // `name@version`: the `wasi` guest must not be confused with the `wasi` crate.
            .map(|package| format!("{}@{}", package.name, package.version))
            .collect();
        eprintln!(
            "building {} for {} with the {}",
            selected.join(", "),
            target.triple(),
            toolchain.describe()
        );
        let mut command = toolchain.build_command(
            target,
            &plugins_dir.join("Cargo.toml"),
            &selected,
            &target_dir,
        );
        command.current_dir(&plugins_dir);
        cmd::run_command(&mut command)
            .with_context(|| format!("building plugins for {}", target.triple()))?;
    }

    let written = install(&packages, &target_dir, &out_dir)?;
    report(root, &written, started.elapsed().as_secs_f64())?;
    Ok(written)
}

/// Runs the plugin workspace's native tests (`cargo test` on the host target, normal toolchain).
pub(crate) fn test_native(root: &Path) -> Result<()> {
    let plugins_dir = root.join("plugins");
    let cargo = std::env::var_os("CARGO").unwrap_or_else(|| "cargo".into());
    let mut command = Command::new(cargo);
    command
        .args(["test", "--workspace", "--manifest-path"])
        .arg(plugins_dir.join("Cargo.toml"))
        .arg("--target-dir")
        .arg(plugins_dir.join("target"))
        .current_dir(&plugins_dir);
    cmd::run_command(&mut command).context("native tests of the plugin workspace")
}

/// Plugins are `plugins/*/Cargo.toml`; test guests `plugins/test-guests/*/Cargo.toml`.
fn discover(plugins_dir: &Path) -> Result<Vec<Package>> {
    let workspace = read_manifest(&plugins_dir.join("Cargo.toml"))?;
    let workspace_version = workspace
        .get("workspace")
        .and_then(|workspace| workspace.get("package"))
        .and_then(|package| package.get("version"))
        .and_then(|version| version.as_str());
    let mut packages = Vec::new();
    for (dir, guest) in [
        (plugins_dir.to_owned(), false),
        (plugins_dir.join("test-guests"), true),
    ] {
        let entries =
            std::fs::read_dir(&dir).with_context(|| format!("cannot list {}", dir.display()))?;
        let mut manifests: Vec<PathBuf> = entries
            .map(|entry| entry.map(|entry| entry.path().join("Cargo.toml")))
            .collect::<Result<_, _>>()
            .with_context(|| format!("cannot list {}", dir.display()))?;
        manifests.retain(|manifest| manifest.is_file());
        manifests.sort();
        for manifest in manifests {
            packages.push(read_package(&manifest, guest, workspace_version)?);
        }
    }
    if packages.is_empty() {
        bail!("no plugins found under {}", plugins_dir.display());
    }
    Ok(packages)
}

fn read_package(manifest: &Path, guest: bool, workspace_version: Option<&str>) -> Result<Package> {
    let table = read_manifest(manifest)?;
    let folder = manifest
        .parent()
        .and_then(Path::file_name)
        .and_then(|name| name.to_str())
        .unwrap_or_default();
    let name = table
        .get("package")
        .and_then(|package| package.get("name"))
        .and_then(|name| name.as_str())
        .with_context(|| format!("{} has no package name", manifest.display()))?;
    if name != folder {
        bail!(
            "{}: package `{name}` must be named like its folder `{folder}` (the plugin id)",
            manifest.display()
        );
    }
    let target = match table
        .get("package")
        .and_then(|package| package.get("metadata"))
        .and_then(|metadata| metadata.get("vigia"))
        .and_then(|vigia| vigia.get("target"))
    {
        None => Target::Unknown,
        Some(triple) => {
            let triple = triple.as_str().with_context(|| {
                format!("{}: vigia target must be a string", manifest.display())
            })?;
            Target::parse(triple).with_context(|| manifest.display().to_string())?
        }
    };
    // `version.workspace = true` inherits the plugin workspace's version.
    let version = match table
        .get("package")
        .and_then(|package| package.get("version"))
    {
        Some(toml::Value::String(version)) => Some(version.as_str()),
        _ => workspace_version,
    }
    .with_context(|| format!("{}: no package version", manifest.display()))?;
    Ok(Package {
        name: name.to_owned(),
        version: version.to_owned(),
        target,
        guest,
    })
}

fn read_manifest(manifest: &Path) -> Result<toml::Table> {
    let text = std::fs::read_to_string(manifest)
        .with_context(|| format!("cannot read {}", manifest.display()))?;
    text.parse()
        .with_context(|| format!("{} is not valid TOML", manifest.display()))
}

/// Checks each output is a component and copies it into `out_dir`, replacing old artifacts.
fn install(packages: &[Package], target_dir: &Path, out_dir: &Path) -> Result<Vec<PathBuf>> {
    for dir in [out_dir.to_owned(), out_dir.join("test-guests")] {
        std::fs::create_dir_all(&dir)
            .with_context(|| format!("cannot create {}", dir.display()))?;
        for entry in
            std::fs::read_dir(&dir).with_context(|| format!("cannot list {}", dir.display()))?
        {
            let path = entry?.path();
            if path.extension().is_some_and(|ext| ext == "wasm") {
                std::fs::remove_file(&path)
                    .with_context(|| format!("cannot remove stale {}", path.display()))?;
            }
        }
    }
    let mut written = Vec::new();
    for package in packages {
        let built = package.built(target_dir);
        let bytes = std::fs::read(&built)
            .with_context(|| format!("cargo did not write {}", built.display()))?;
        if !bytes.starts_with(&COMPONENT_HEADER) {
            bail!(
                "{} is a core wasm module, not a component (was it linked with wasm-component-ld?)",
                built.display()
            );
        }
        let artifact = package.artifact(out_dir);
        std::fs::write(&artifact, &bytes)
            .with_context(|| format!("cannot write {}", artifact.display()))?;
        written.push(artifact);
    }
    Ok(written)
}

fn report(root: &Path, written: &[PathBuf], seconds: f64) -> Result<()> {
    println!("built {} wasm components in {seconds:.1} s:", written.len());
    for path in written {
        let size = std::fs::metadata(path)
            .with_context(|| format!("cannot stat {}", path.display()))?
            .len();
        let shown = path.strip_prefix(root).unwrap_or(path);
        println!("  {:>9} bytes  {}", size, shown.display());
    }
    Ok(())
}
