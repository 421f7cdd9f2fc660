//! f32 safetensors files with deterministic bytes.
//!
//! `safetensors::serialize` takes the metadata as a `std::collections::HashMap` and writes it in
//! that map's iteration order, which is randomised per process; with several metadata keys the
//! same checkpoint would get different bytes on every run. So the header is written here with
//! sorted keys, in exactly the crate's layout otherwise (tensors sorted by name, `dtype`,
//! `shape`, `data_offsets`, header padded with spaces to 8 bytes); a unit test checks that the
//! two agree byte for byte when the order cannot differ. Reading goes through the crate, which
//! validates the header, offsets and sizes.
use std::collections::BTreeMap;

use safetensors::{Dtype, SafeTensors};
use serde::Serialize;

/// One named tensor to write: shape outermost first, row-major f32 data.
pub struct TensorRef<'a> {
    pub name: String,
    pub shape: Vec<usize>,
    pub data: &'a [f32],
}

/// A tensor read back from a file.
#[derive(Debug, Clone, PartialEq)]
pub struct TensorData {
    pub shape: Vec<usize>,
    pub data: Vec<f32>,
}

/// The contents of one file: `__metadata__` and the tensors by name.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct TensorFile {
    pub metadata: BTreeMap<String, String>,
    pub tensors: BTreeMap<String, TensorData>,
}

#[derive(Serialize)]
#[serde(untagged)]
enum HeaderEntry<'a> {
    Metadata(&'a BTreeMap<String, String>),
    Tensor {
        dtype: &'static str,
        shape: &'a [usize],
        data_offsets: [usize; 2],
    },
}

/// The file's bytes: 8-byte little-endian header length, JSON header, then the tensors' f32
/// little-endian data in name order.
pub fn to_bytes(tensors: &[TensorRef<'_>], metadata: &BTreeMap<String, String>) -> Vec<u8> {
    let mut order: Vec<&TensorRef<'_>> = tensors.iter().collect();
    order.sort_by(|a, b| a.name.cmp(&b.name));
    let mut header: BTreeMap<&str, HeaderEntry<'_>> = BTreeMap::new();
    if !metadata.is_empty() {
        header.insert("__metadata__", HeaderEntry::Metadata(metadata));
    }
    let mut offset = 0;
    for t in &order {
        let end = offset + 4 * t.data.len();
        header.insert(
            &t.name,
            HeaderEntry::Tensor {
                dtype: "F32",
                shape: &t.shape,
                data_offsets: [offset, end],
            },
        );
        offset = end;
    }
    // A map of strings, integers and string maps always serialises.
    let mut json = serde_json::to_vec(&header).unwrap_or_default();
    json.resize(json.len().next_multiple_of(8), b' ');
    let mut out = Vec::with_capacity(8 + json.len() + offset);
    out.extend_from_slice(&(json.len() as u64).to_le_bytes());
    out.extend_from_slice(&json);
    for t in &order {
        for x in t.data {
            out.extend_from_slice(&x.to_le_bytes());
        }
    }
    out
}

/// Parses and validates a file's bytes; every tensor must be F32.
pub fn from_bytes(bytes: &[u8]) -> Result<TensorFile, String> {
    let st =
        SafeTensors::deserialize(bytes).map_err(|e| format!("not a safetensors file ({e})"))?;
    let (_, meta) =
        SafeTensors::read_metadata(bytes).map_err(|e| format!("not a safetensors file ({e})"))?;
    let metadata = meta
        .metadata()
        .as_ref()
        .map(|m| m.clone().into_iter().collect())
        .unwrap_or_default();
    let mut tensors = BTreeMap::new();
    for (name, view) in st.tensors() {
        if view.dtype() != Dtype::F32 {
            return Err(format!(
                "tensor {name:?} is {:?}, expected F32",
                view.dtype()
            ));
        }
        let data = view
            .data()
            .chunks_exact(4)
            .map(|c| f32::from_le_bytes([c[0], c[1], c[2], c[3]]))
            .collect();
        tensors.insert(
            name,
            TensorData {
                shape: view.shape().to_vec(),
                data,
            },
        );
    }
    Ok(TensorFile { metadata, tensors })
}

#[cfg(test)]
mod tests {
    use super::*;
    use safetensors::tensor::TensorView;

    fn sample() -> (Vec<f32>, Vec<f32>) {
        (
            (0..6).map(|i| i as f32 * 0.5 - 1.0).collect(),
            vec![1.0, f32::MIN_POSITIVE, -0.0],
        )
    }

    #[test]
    fn bytes_equal_safetensors_serialize_with_one_metadata_key() {
        let (a, b) = sample();
        let meta: BTreeMap<String, String> = [("step".to_string(), "7".to_string())].into();
        let ours = to_bytes(
            &[
                TensorRef {
                    name: "z.b".into(),
                    shape: vec![3],
                    data: &b,
                },
                TensorRef {
                    name: "a.w".into(),
                    shape: vec![2, 3],
                    data: &a,
                },
            ],
            &meta,
        );
        let le = |v: &[f32]| v.iter().flat_map(|x| x.to_le_bytes()).collect::<Vec<u8>>();
        let (ab, bb) = (le(&a), le(&b));
        let views = [
            ("z.b", TensorView::new(Dtype::F32, vec![3], &bb).unwrap()),
            ("a.w", TensorView::new(Dtype::F32, vec![2, 3], &ab).unwrap()),
        ];
        let theirs = safetensors::serialize(views, Some(meta.into_iter().collect())).unwrap();
        assert_eq!(ours, theirs);
    }

    #[test]
    fn metadata_keys_are_sorted_so_bytes_never_vary() {
        let (a, _) = sample();
        let meta: BTreeMap<String, String> =
            [("step", "1"), ("config", "{}"), ("format_version", "1")]
                .map(|(k, v)| (k.to_string(), v.to_string()))
                .into();
        let t = [TensorRef {
            name: "w".into(),
            shape: vec![6],
            data: &a,
        }];
        let bytes = to_bytes(&t, &meta);
        let n = u64::from_le_bytes(bytes[..8].try_into().unwrap()) as usize;
        let header = std::str::from_utf8(&bytes[8..8 + n]).unwrap();
        assert!(header.starts_with(
            r#"{"__metadata__":{"config":"{}","format_version":"1","step":"1"},"w":"#
        ));
        let back = from_bytes(&bytes).unwrap();
        assert_eq!(back.metadata, meta);
        assert_eq!(
            back.tensors["w"],
            TensorData {
                shape: vec![6],
                data: a
            }
        );
    }

    #[test]
    fn truncated_and_random_bytes_are_errors() {
        let (a, _) = sample();
        let bytes = to_bytes(
            &[TensorRef {
                name: "w".into(),
                shape: vec![6],
                data: &a,
            }],
            &BTreeMap::new(),
        );
        for cut in [0, 4, 8, 20, bytes.len() - 1] {
            assert!(from_bytes(&bytes[..cut]).is_err(), "cut at {cut}");
        }
        let noise: Vec<u8> = (0..200u32)
            .map(|i| (i.wrapping_mul(2654435761) >> 13) as u8)
            .collect();
        assert!(from_bytes(&noise).is_err());
    }
}
