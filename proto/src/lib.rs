//! The oidc-story gRPC contract, package `oidcstory.v1`.
//!
//! `proto/oidcstory/v1/oidcstory.proto` is the source of truth; this crate
//! only compiles it (client and server stubs) and carries the encoded file
//! descriptor set that the services hand to gRPC server reflection.

pub mod v1 {
    tonic::include_proto!("oidcstory.v1");
}

/// The encoded `FileDescriptorSet` of the contract, for server reflection.
pub const FILE_DESCRIPTOR_SET: &[u8] = tonic::include_file_descriptor_set!("oidcstory_descriptor");
