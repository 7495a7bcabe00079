//! `repartition(partitions)`: the same records in exactly that many partitions.

use super::{ArgKind, ArgSpec, Doc, Kind, OpCall, OperatorSpec, StageCode, simple_stage};
use proc_macro2::Ident;

pub const SPEC: OperatorSpec = OperatorSpec {
    name: "repartition",
    spark_name: "repartition",
    args: &[ArgSpec::required("partitions", ArgKind::Value)],
    kind: Kind::Breaker(codegen),
    doc: Doc {
        summary: "same records, in `partitions` partitions",
        example: "lines.repartition(4).pprint();",
        feature: None,
    },
};

fn codegen(call: &OpCall, _: &[Ident]) -> StageCode {
    let n = call.arg("partitions");
    simple_stage(call, "repartition", quote::quote!(#n))
}
