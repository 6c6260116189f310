//! The oidc-story gRPC contract, package `oidcstory.v1`.
//!
//! `proto/oidcstory/v1/oidcstory.proto` is the source of truth; this crate
//! compiles it (client and server stubs, the encoded descriptor set) and
//! holds nothing else: how the servers run is `oidc-story-serve`'s.

pub mod v1 {
    tonic::include_proto!("oidcstory.v1");
}

/// The encoded `FileDescriptorSet` of the contract, for server reflection.
pub const FILE_DESCRIPTOR_SET: &[u8] = tonic::include_file_descriptor_set!("oidcstory_descriptor");

/// The fully-qualified names of the two services.
pub const AUTHORIZATION_SERVER: &str = "oidcstory.v1.AuthorizationServer";
pub const RELYING_PARTY: &str = "oidcstory.v1.RelyingParty";
