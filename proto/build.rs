//! Compiles the contract with a vendored protoc, so no system package is needed.
use std::path::PathBuf;

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let protoc = protoc_bin_vendored::protoc_bin_path()?;
    let out_dir = PathBuf::from(std::env::var("OUT_DIR")?);
    let mut config = tonic_prost_build::Config::new();
    config.protoc_executable(protoc);
    // Header maps as BTreeMap: they are a handful of entries, read in order
    // (transcripts) and moved to and from the servers' own BTreeMaps,
    // with no hashing on the way.
    config.btree_map(["."]);
    tonic_prost_build::configure()
        .file_descriptor_set_path(out_dir.join("oidcstory_descriptor.bin"))
        .compile_with_config(config, &["proto/oidcstory/v1/oidcstory.proto"], &["proto"])?;
    Ok(())
}
