//! f32 safetensors files with deterministic bytes.
//!
//! `safetensors::serialize` takes the metadata as a `std::collections::HashMap` and writes it in
//! that map's iteration order, which is randomised per process; with several metadata keys the
//! same checkpoint would get different bytes on every run. So the header is written here with
//! sorted keys, in exactly the crate's layout otherwise (tensors sorted by name, `dtype`,
//! `shape`, `data_offsets`, header padded with spaces to 8 bytes); a unit test checks that the
//! two agree byte for byte when the order cannot differ. Reading goes through the crate, which
//! validates the header, offsets and sizes.
//!
//! [`to_bytes_checksummed`] also records the SHA-256 of the tensor data (every byte after the
//! header) under the metadata key [`DATA_SHA256`]; [`from_bytes`] checks it whenever a file
//! carries one, so a flipped byte in the data is an error rather than other weights.
use std::collections::BTreeMap;

use safetensors::{Dtype, SafeTensors};
use serde::Serialize;
use sha2::{Digest, Sha256};

/// Metadata key of the lowercase-hex SHA-256 of the file's tensor data.
pub const DATA_SHA256: &str = "data_sha256";

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
    let order = name_order(tensors);
    assemble(&order, metadata, &data_bytes(&order))
}

/// [`to_bytes`] with the data's SHA-256 added to the metadata under [`DATA_SHA256`].
pub fn to_bytes_checksummed(
    tensors: &[TensorRef<'_>],
    metadata: &BTreeMap<String, String>,
) -> Vec<u8> {
    let order = name_order(tensors);
    let data = data_bytes(&order);
    let mut metadata = metadata.clone();
    metadata.insert(DATA_SHA256.into(), sha256_hex(&data));
    assemble(&order, &metadata, &data)
}

/// Lowercase hex of SHA-256(`bytes`).
pub fn sha256_hex(bytes: &[u8]) -> String {
    Sha256::digest(bytes)
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}

fn name_order<'t, 'a>(tensors: &'t [TensorRef<'a>]) -> Vec<&'t TensorRef<'a>> {
    let mut order: Vec<&TensorRef<'_>> = tensors.iter().collect();
    order.sort_by(|a, b| a.name.cmp(&b.name));
    order
}

fn data_bytes(order: &[&TensorRef<'_>]) -> Vec<u8> {
    order
        .iter()
        .flat_map(|t| t.data.iter().flat_map(|x| x.to_le_bytes()))
        .collect()
}

fn assemble(order: &[&TensorRef<'_>], metadata: &BTreeMap<String, String>, data: &[u8]) -> Vec<u8> {
    let mut header: BTreeMap<&str, HeaderEntry<'_>> = BTreeMap::new();
    if !metadata.is_empty() {
        header.insert("__metadata__", HeaderEntry::Metadata(metadata));
    }
    let mut offset = 0;
    for t in order {
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
    let mut out = Vec::with_capacity(8 + json.len() + data.len());
    out.extend_from_slice(&(json.len() as u64).to_le_bytes());
    out.extend_from_slice(&json);
    out.extend_from_slice(data);
    out
}

/// Parses and validates a file's bytes; every tensor must be F32.
pub fn from_bytes(bytes: &[u8]) -> Result<TensorFile, String> {
    let st =
        SafeTensors::deserialize(bytes).map_err(|e| format!("not a safetensors file ({e})"))?;
    let (header_len, meta) =
        SafeTensors::read_metadata(bytes).map_err(|e| format!("not a safetensors file ({e})"))?;
    let metadata = meta
        .metadata()
        .as_ref()
        .map(|m| m.clone().into_iter().collect::<BTreeMap<String, String>>())
        .unwrap_or_default();
    if let Some(want) = metadata.get(DATA_SHA256) {
        // `deserialize` has checked that the data fills the rest of the file exactly.
        let got = sha256_hex(&bytes[8 + header_len..]);
        if &got != want {
            return Err(format!(
                "its tensor data does not match its {DATA_SHA256} checksum: the file is damaged"
            ));
        }
    }
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

    #[test]
    fn sha256_hex_matches_the_fips_180_2_examples() {
        assert_eq!(
            sha256_hex(b"abc"),
            "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"
        );
        assert_eq!(
            sha256_hex(b""),
            "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"
        );
    }

    #[test]
    fn every_flipped_data_byte_of_a_checksummed_file_is_an_error() {
        let (a, b) = sample();
        let t = [
            TensorRef {
                name: "a".into(),
                shape: vec![6],
                data: &a,
            },
            TensorRef {
                name: "b".into(),
                shape: vec![3],
                data: &b,
            },
        ];
        let meta: BTreeMap<String, String> = [("step".to_string(), "3".to_string())].into();
        let bytes = to_bytes_checksummed(&t, &meta);
        let back = from_bytes(&bytes).unwrap();
        assert_eq!(back.tensors["a"].data, a);
        assert_eq!(back.metadata["step"], "3");
        let n = u64::from_le_bytes(bytes[..8].try_into().unwrap()) as usize;
        let data = &bytes[8 + n..];
        assert_eq!(data.len(), 4 * (a.len() + b.len()));
        assert_eq!(back.metadata[DATA_SHA256], sha256_hex(data));
        for i in 8 + n..bytes.len() {
            let mut damaged = bytes.clone();
            damaged[i] ^= 0x10;
            let err = from_bytes(&damaged).unwrap_err();
            assert!(err.contains("checksum"), "byte {i}: {err}");
        }
        // A file without the key (written before it existed) is read as it is.
        let mut plain = to_bytes(&t, &meta);
        let last = plain.len() - 1;
        plain[last] ^= 0x10;
        assert!(from_bytes(&plain).is_ok());
    }
}
