//! `glom()`: one record per partition, holding the partition's records.

use super::{Doc, Kind, OpCall, OperatorSpec, StageCode, simple_stage};
use proc_macro2::{Ident, TokenStream};

pub const SPEC: OperatorSpec = OperatorSpec {
    name: "glom",
    spark_name: "glom",
    args: &[],
    kind: Kind::Breaker(codegen),
    doc: Doc {
        summary: "one `Vec<T>` per partition",
        example: "numbers.glom().pprint();",
        feature: None,
    },
};

fn codegen(call: &OpCall, _: &[Ident]) -> StageCode {
    simple_stage(call, "glom", TokenStream::new())
}
