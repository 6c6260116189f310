"""What grpcurl does, with a non-Rust gRPC stack: list the services of both
servers through server reflection, resolve a method's descriptors, and call
ServerMetadata and Token with messages built from the reflected descriptors
alone (no .proto file, no generated code).

Usage: reflection_check.py AS_ADDR RP_ADDR
"""
import base64
import json
import sys

import grpc
from google.protobuf import descriptor_pool, message_factory
from google.protobuf.descriptor_pb2 import FileDescriptorProto
from grpc_reflection.v1alpha import reflection_pb2, reflection_pb2_grpc

AS_SERVICE = "oidcstory.v1.AuthorizationServer"
RP_SERVICE = "oidcstory.v1.RelyingParty"


def reflect(channel, request):
    stub = reflection_pb2_grpc.ServerReflectionStub(channel)
    return next(iter(stub.ServerReflectionInfo(iter([request]))))


def list_services(channel):
    answer = reflect(channel, reflection_pb2.ServerReflectionRequest(list_services=""))
    return sorted(s.name for s in answer.list_services_response.service)


def load_symbol(channel, pool, symbol):
    """Adds the file defining `symbol` (and its dependencies) to `pool`."""
    answer = reflect(channel, reflection_pb2.ServerReflectionRequest(file_containing_symbol=symbol))
    files = [FileDescriptorProto.FromString(raw) for raw in answer.file_descriptor_response.file_descriptor_proto]
    pending = {f.name: f for f in files}
    while pending:
        for name, proto in list(pending.items()):
            if all(dep not in pending for dep in proto.dependency):
                try:
                    pool.Add(proto)
                except TypeError:
                    pass  # already in the pool
                del pending[name]


def call(channel, pool, service, method, fields):
    method_desc = pool.FindServiceByName(service).FindMethodByName(method)
    request_cls = message_factory.GetMessageClass(method_desc.input_type)
    response_cls = message_factory.GetMessageClass(method_desc.output_type)
    request = request_cls(**fields)
    rpc = channel.unary_unary(
        f"/{service}/{method}",
        request_serializer=lambda m: m.SerializeToString(),
        response_deserializer=response_cls.FromString,
    )
    return rpc(request, timeout=10)


def main(as_addr, rp_addr):
    failures = []

    def check(name, ok, detail=""):
        print(f"[{'passed' if ok else 'FAILED'}] {name} {detail}")
        if not ok:
            failures.append(name)

    for addr, own in [(as_addr, AS_SERVICE), (rp_addr, RP_SERVICE)]:
        with grpc.insecure_channel(addr) as channel:
            names = list_services(channel)
            check(f"{addr}: reflection lists {own}", own in names, str(names))
            check(f"{addr}: reflection lists grpc.health.v1.Health", "grpc.health.v1.Health" in names)
            other = RP_SERVICE if own == AS_SERVICE else AS_SERVICE
            check(f"{addr}: reflection does not list {other}", other not in names)

    with grpc.insecure_channel(as_addr) as channel:
        pool = descriptor_pool.DescriptorPool()
        load_symbol(channel, pool, AS_SERVICE)
        token = pool.FindServiceByName(AS_SERVICE).FindMethodByName("Token")
        check("Token's input type resolves", token.input_type.full_name == "oidcstory.v1.OAuthRequest",
              token.input_type.full_name)
        check("OAuthRequest has headers (a map)", "headers" in token.input_type.fields_by_name)

        metadata = call(channel, pool, AS_SERVICE, "ServerMetadata", {
            "method": "GET",
            "url": "https://example.com/.well-known/oauth-authorization-server",
        })
        document = json.loads(metadata.body)
        check("ServerMetadata answers 200", metadata.status == 200, str(metadata.status))
        check("the metadata names the token endpoint", document.get("token_endpoint") == "https://example.com/token")

        basic = base64.b64encode(b"client_1:another+password").decode()
        answer = call(channel, pool, AS_SERVICE, "Token", {
            "method": "POST",
            "url": "https://example.com/token",
            "headers": {"content-type": "application/x-www-form-urlencoded", "authorization": f"Basic {basic}"},
            "body": "grant_type=client_credentials",
        })
        body = json.loads(answer.body)
        check("Token answers 200 with a Bearer JWT", answer.status == 200 and body.get("token_type") == "Bearer"
              and body.get("access_token", "").count(".") == 2, answer.body[:80])
        refused = call(channel, pool, AS_SERVICE, "Token", {
            "method": "POST",
            "url": "https://example.com/token",
            "headers": {"content-type": "application/x-www-form-urlencoded"},
            "body": "grant_type=client_credentials&client_id=client_1&client_secret=wrong",
        })
        check("a wrong secret is invalid_client 401", refused.status == 401
              and json.loads(refused.body).get("error") == "invalid_client")

    print("reflection check:", "ok" if not failures else f"{len(failures)} FAILED")
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1], sys.argv[2]))
