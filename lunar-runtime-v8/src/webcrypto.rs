//! The algorithms behind `crypto.subtle` (Web Cryptography API), on RustCrypto and free
//! of V8. The prelude (`js/71_subtle.js`) normalises algorithm parameters, checks key
//! usages and wraps results in promises; this module does the cryptography.
//!
//! Key material travels as bytes in one canonical form per key type, so a `CryptoKey`
//! needs no native handle:
//! - secret keys (HMAC, AES, HKDF, PBKDF2): the raw secret;
//! - ECDSA/ECDH (P-256, P-384, P-521) and RSA: PKCS #8 DER (private), SPKI DER (public);
//! - Ed25519, X25519 and X448: the raw private key, the raw public key.

use aes::cipher::{BlockEncrypt, KeyInit as _, generic_array::GenericArray};
use base64::Engine as _;
use base64::engine::general_purpose::{STANDARD, URL_SAFE_NO_PAD};
use ed25519_dalek::pkcs8::{DecodePrivateKey as _, DecodePublicKey as _};
use ed25519_dalek::pkcs8::{EncodePrivateKey as _, EncodePublicKey as _};
use ed25519_dalek::{Signer as _, Verifier as _};
use hmac::{Hmac, Mac};
use rand_core::OsRng;
use rsa::traits::{PrivateKeyParts as _, PublicKeyParts as _};
use rsa::{BigUint, Oaep, Pkcs1v15Sign, Pss, RsaPrivateKey, RsaPublicKey};
use serde::Deserialize;
use serde_json::{Value, json};
use sha2::Digest as _;

/// A failed operation: the `DOMException` name (or `TypeError`) and its message.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct CryptoError {
    /// `OperationError`, `DataError`, `NotSupportedError`, `InvalidAccessError` or `TypeError`.
    pub(crate) name: &'static str,
    /// What went wrong.
    pub(crate) message: String,
}

type Result<T> = std::result::Result<T, CryptoError>;

fn fail<T>(name: &'static str, message: impl Into<String>) -> Result<T> {
    Err(CryptoError {
        name,
        message: message.into(),
    })
}

fn operation<T>(message: impl Into<String>) -> Result<T> {
    fail("OperationError", message)
}

fn data<T>(message: impl Into<String>) -> Result<T> {
    fail("DataError", message)
}

fn not_supported<T>(message: impl Into<String>) -> Result<T> {
    fail("NotSupportedError", message)
}

/// Algorithm parameters as the prelude normalised them (byte fields in base64).
#[derive(Debug, Default, Deserialize)]
#[serde(rename_all = "camelCase", default)]
pub(crate) struct Params {
    /// Canonical algorithm name, e.g. `AES-GCM`.
    pub(crate) name: String,
    /// Canonical hash name (`SHA-256`), for HMAC, RSA, ECDSA, HKDF, PBKDF2.
    pub(crate) hash: Option<String>,
    /// `P-256`, `P-384` or `P-521`.
    pub(crate) named_curve: Option<String>,
    /// Key length (AES, HMAC), counter length (AES-CTR) or derived length, in bits.
    pub(crate) length: Option<u32>,
    /// RSA-PSS salt length in bytes.
    pub(crate) salt_length: Option<u32>,
    /// AES-GCM tag length in bits.
    pub(crate) tag_length: Option<u32>,
    /// PBKDF2 iterations.
    pub(crate) iterations: Option<u32>,
    /// RSA modulus length in bits.
    pub(crate) modulus_length: Option<u32>,
    /// RSA public exponent (big-endian bytes).
    pub(crate) public_exponent: Option<String>,
    /// AES-GCM/CBC IV.
    pub(crate) iv: Option<String>,
    /// AES-CTR initial counter block.
    pub(crate) counter: Option<String>,
    /// AES-GCM additional data.
    pub(crate) additional_data: Option<String>,
    /// HKDF/PBKDF2 salt.
    pub(crate) salt: Option<String>,
    /// HKDF info.
    pub(crate) info: Option<String>,
    /// RSA-OAEP label.
    pub(crate) label: Option<String>,
}

impl Params {
    fn hash(&self) -> Result<Hash> {
        match self.hash.as_deref() {
            Some(h) => Hash::parse(h),
            None => fail("TypeError", format!("{}: hash is required", self.name)),
        }
    }

    fn curve(&self) -> Result<Curve> {
        match self.named_curve.as_deref() {
            Some("P-256") => Ok(Curve::P256),
            Some("P-384") => Ok(Curve::P384),
            Some("P-521") => Ok(Curve::P521),
            Some(c) => not_supported(format!("the named curve {c} is not supported")),
            None => fail(
                "TypeError",
                format!("{}: namedCurve is required", self.name),
            ),
        }
    }
}

fn bytes_of(field: &str, v: Option<&String>) -> Result<Vec<u8>> {
    match v {
        Some(s) => STANDARD
            .decode(s)
            .or_else(|_| fail("TypeError", format!("{field} is not valid"))),
        None => fail("TypeError", format!("{field} is required")),
    }
}

/// A hash function of the Web Crypto API.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Hash {
    Sha1,
    Sha256,
    Sha384,
    Sha512,
}

impl Hash {
    fn parse(name: &str) -> Result<Hash> {
        match name {
            "SHA-1" => Ok(Hash::Sha1),
            "SHA-256" => Ok(Hash::Sha256),
            "SHA-384" => Ok(Hash::Sha384),
            "SHA-512" => Ok(Hash::Sha512),
            _ => not_supported(format!("the hash {name} is not supported")),
        }
    }

    fn digest(self, data: &[u8]) -> Vec<u8> {
        match self {
            Hash::Sha1 => sha1::Sha1::digest(data).to_vec(),
            Hash::Sha256 => sha2::Sha256::digest(data).to_vec(),
            Hash::Sha384 => sha2::Sha384::digest(data).to_vec(),
            Hash::Sha512 => sha2::Sha512::digest(data).to_vec(),
        }
    }

    /// Block size in bits: the default HMAC key length.
    fn block_bits(self) -> u32 {
        match self {
            Hash::Sha1 | Hash::Sha256 => 512,
            Hash::Sha384 | Hash::Sha512 => 1024,
        }
    }
}

/// Runs `$body` with `$h` naming the RustCrypto type of `$hash`.
macro_rules! with_hash {
    ($hash:expr, $h:ident => $body:expr) => {
        match $hash {
            Hash::Sha1 => {
                type $h = sha1::Sha1;
                $body
            }
            Hash::Sha256 => {
                type $h = sha2::Sha256;
                $body
            }
            Hash::Sha384 => {
                type $h = sha2::Sha384;
                $body
            }
            Hash::Sha512 => {
                type $h = sha2::Sha512;
                $body
            }
        }
    };
}

#[derive(Debug, Clone, Copy)]
enum Curve {
    P256,
    P384,
    P521,
}

impl Curve {
    /// The ECDSA input for `digest`: a digest shorter than the curve's field is padded with
    /// leading zeros (the same integer; the curve crates refuse short prehashes).
    fn prehash(self, mut digest: Vec<u8>) -> Vec<u8> {
        let field = match self {
            Curve::P256 => 32,
            Curve::P384 => 48,
            Curve::P521 => 66,
        };
        if digest.len() < field {
            let mut padded = vec![0u8; field - digest.len()];
            padded.append(&mut digest);
            return padded;
        }
        digest
    }
}

/// Runs `$body` with `$m` naming the curve's crate (`p256` or `p384`).
macro_rules! with_curve {
    ($curve:expr, $m:ident => $body:expr) => {
        match $curve {
            Curve::P256 => {
                use p256 as $m;
                $body
            }
            Curve::P384 => {
                use p384 as $m;
                $body
            }
            Curve::P521 => {
                use p521 as $m;
                $body
            }
        }
    };
}

/// `crypto.subtle.digest`.
pub(crate) fn digest(p: &Params, data: &[u8]) -> Result<Vec<u8>> {
    Ok(Hash::parse(&p.name)?.digest(data))
}

/// `sign`: the signature of `data` with `key` (a secret or a private key).
pub(crate) fn sign(p: &Params, key: &[u8], data: &[u8]) -> Result<Vec<u8>> {
    match p.name.as_str() {
        "HMAC" => {
            let hash = p.hash()?;
            with_hash!(hash, H => {
                let mut mac = <Hmac<H> as Mac>::new_from_slice(key)
                    .or_else(|_| operation("invalid HMAC key"))?;
                mac.update(data);
                Ok(mac.finalize().into_bytes().to_vec())
            })
        }
        "ECDSA" => {
            let curve = p.curve()?;
            let digest = curve.prehash(p.hash()?.digest(data));
            with_curve!(curve, m => {
                use m::ecdsa::signature::hazmat::PrehashSigner as _;
                let secret = m::SecretKey::from_pkcs8_der(key).or_else(|_| data_err_key())?;
                let signer = m::ecdsa::SigningKey::from_bytes(&secret.to_bytes())
                    .or_else(|_| data_err_key())?;
                let sig: m::ecdsa::Signature = signer
                    .sign_prehash(&digest)
                    .or_else(|e| operation(e.to_string()))?;
                Ok(sig.to_bytes().to_vec())
            })
        }
        "Ed25519" => {
            let signer = ed25519_signing(key)?;
            Ok(signer.sign(data).to_bytes().to_vec())
        }
        "RSASSA-PKCS1-v1_5" | "RSA-PSS" => {
            let hash = p.hash()?;
            let private = rsa_private(key)?;
            let digest = hash.digest(data);
            let signed = if p.name == "RSA-PSS" {
                let salt = p.salt_length.unwrap_or(0) as usize;
                with_hash!(hash, H => private.sign_with_rng(&mut OsRng, Pss::new_with_salt::<H>(salt), &digest))
            } else {
                with_hash!(hash, H => private.sign(Pkcs1v15Sign::new::<H>(), &digest))
            };
            signed.or_else(|e| operation(e.to_string()))
        }
        other => fail("InvalidAccessError", format!("{other} cannot sign")),
    }
}

/// `verify`: whether `signature` is `data`'s signature under `key`.
pub(crate) fn verify(p: &Params, key: &[u8], signature: &[u8], data: &[u8]) -> Result<bool> {
    match p.name.as_str() {
        "HMAC" => {
            let hash = p.hash()?;
            with_hash!(hash, H => {
                let mut mac = <Hmac<H> as Mac>::new_from_slice(key)
                    .or_else(|_| operation("invalid HMAC key"))?;
                mac.update(data);
                Ok(mac.verify_slice(signature).is_ok())
            })
        }
        "ECDSA" => {
            let curve = p.curve()?;
            let digest = curve.prehash(p.hash()?.digest(data));
            with_curve!(curve, m => {
                use m::ecdsa::signature::hazmat::PrehashVerifier as _;
                use m::pkcs8::DecodePublicKey as _;
                let public = m::PublicKey::from_public_key_der(key).or_else(|_| data_err_key())?;
                let verifier = m::ecdsa::VerifyingKey::from_affine(*public.as_affine())
                    .or_else(|_| data_err_key())?;
                let Ok(sig) = m::ecdsa::Signature::from_slice(signature) else {
                    return Ok(false);
                };
                Ok(verifier.verify_prehash(&digest, &sig).is_ok())
            })
        }
        "Ed25519" => {
            let Ok(point) = <[u8; 32]>::try_from(key) else {
                return data_err_key();
            };
            let verifier =
                ed25519_dalek::VerifyingKey::from_bytes(&point).or_else(|_| data_err_key())?;
            let Ok(sig) = ed25519_dalek::Signature::from_slice(signature) else {
                return Ok(false);
            };
            Ok(verifier.verify(data, &sig).is_ok())
        }
        "RSASSA-PKCS1-v1_5" | "RSA-PSS" => {
            let hash = p.hash()?;
            let public = rsa_public(key)?;
            let digest = hash.digest(data);
            let ok = if p.name == "RSA-PSS" {
                let salt = p.salt_length.unwrap_or(0) as usize;
                with_hash!(hash, H => public.verify(Pss::new_with_salt::<H>(salt), &digest, signature))
            } else {
                with_hash!(hash, H => public.verify(Pkcs1v15Sign::new::<H>(), &digest, signature))
            };
            Ok(ok.is_ok())
        }
        other => fail("InvalidAccessError", format!("{other} cannot verify")),
    }
}

fn data_err_key<T>() -> Result<T> {
    data("the key data is not valid")
}

/// `encrypt` (`decrypt` when `!encrypt`) with AES or RSA-OAEP.
pub(crate) fn cipher(p: &Params, key: &[u8], data: &[u8], encrypt: bool) -> Result<Vec<u8>> {
    match p.name.as_str() {
        "AES-GCM" => aes_gcm(p, key, data, encrypt),
        "AES-CBC" => aes_cbc(p, key, data, encrypt),
        "AES-CTR" => aes_ctr(p, key, data),
        "AES-KW" => aes_kw(key, data, encrypt),
        "RSA-OAEP" => {
            let hash = p.hash()?;
            let label = match &p.label {
                Some(_) => bytes_of("label", p.label.as_ref())?,
                None => Vec::new(),
            };
            let Ok(label) = String::from_utf8(label) else {
                return not_supported("RSA-OAEP labels must be UTF-8 text");
            };
            let out = if encrypt {
                let public = rsa_public(key)?;
                with_hash!(hash, H => public.encrypt(&mut OsRng, Oaep::new_with_label::<H, _>(label), data))
            } else {
                let private = rsa_private(key)?;
                with_hash!(hash, H => private.decrypt(Oaep::new_with_label::<H, _>(label), data))
            };
            out.or_else(|e| operation(e.to_string()))
        }
        other => fail(
            "InvalidAccessError",
            format!("{other} cannot encrypt or decrypt"),
        ),
    }
}

/// Runs `$body` with `$a` naming the AES type for a key of `$len` bytes.
macro_rules! with_aes {
    ($len:expr, $a:ident => $body:expr) => {
        match $len {
            16 => {
                type $a = aes::Aes128;
                $body
            }
            24 => {
                type $a = aes::Aes192;
                $body
            }
            32 => {
                type $a = aes::Aes256;
                $body
            }
            n => data(format!("AES keys are 128, 192 or 256 bits, not {}", n * 8)),
        }
    };
}

/// AES-GCM (NIST SP 800-38D) with any IV length and the tag lengths Web Crypto allows
/// (32, 64, 96 to 128 bits): the output is the ciphertext followed by the tag.
fn aes_gcm(p: &Params, key: &[u8], data_in: &[u8], encrypt: bool) -> Result<Vec<u8>> {
    let iv = bytes_of("iv", p.iv.as_ref())?;
    if iv.is_empty() {
        return operation("AES-GCM iv must not be empty");
    }
    let aad = match &p.additional_data {
        Some(_) => bytes_of("additionalData", p.additional_data.as_ref())?,
        None => Vec::new(),
    };
    let tag_bits = p.tag_length.unwrap_or(128);
    if ![32, 64, 96, 104, 112, 120, 128].contains(&tag_bits) {
        return operation(format!("AES-GCM tagLength {tag_bits} is not valid"));
    }
    let tag_len = (tag_bits / 8) as usize;
    with_aes!(key.len(), A => {
        let cipher = A::new_from_slice(key).or_else(|_| data_err_key())?;
        let block = |b: [u8; 16]| {
            let mut out = GenericArray::from(b);
            cipher.encrypt_block(&mut out);
            out
        };
        let h = block([0; 16]);
        // The pre-counter block J0.
        let j0: [u8; 16] = if iv.len() == 12 {
            let mut j = [0u8; 16];
            j[..12].copy_from_slice(&iv);
            j[15] = 1;
            j
        } else {
            let mut g = ghash::GHash::new(&h);
            ghash::universal_hash::UniversalHash::update_padded(&mut g, &iv);
            let mut lens = [0u8; 16];
            lens[8..].copy_from_slice(&((iv.len() as u64) * 8).to_be_bytes());
            ghash::universal_hash::UniversalHash::update(&mut g, &[lens.into()]);
            ghash::universal_hash::UniversalHash::finalize(g).into()
        };
        // GCTR from inc32(J0): the low 32 bits count, wrapping.
        let gctr = |input: &[u8]| -> Vec<u8> {
            let mut out = Vec::with_capacity(input.len());
            let mut counter = j0;
            for chunk in input.chunks(16) {
                let c = u32::from_be_bytes([counter[12], counter[13], counter[14], counter[15]]).wrapping_add(1);
                counter[12..].copy_from_slice(&c.to_be_bytes());
                let k = block(counter);
                out.extend(chunk.iter().zip(k.iter()).map(|(d, k)| d ^ k));
            }
            out
        };
        let tag = |ciphertext: &[u8]| -> Vec<u8> {
            let mut g = ghash::GHash::new(&h);
            ghash::universal_hash::UniversalHash::update_padded(&mut g, &aad);
            ghash::universal_hash::UniversalHash::update_padded(&mut g, ciphertext);
            let mut lens = [0u8; 16];
            lens[..8].copy_from_slice(&((aad.len() as u64) * 8).to_be_bytes());
            lens[8..].copy_from_slice(&((ciphertext.len() as u64) * 8).to_be_bytes());
            ghash::universal_hash::UniversalHash::update(&mut g, &[lens.into()]);
            let s = ghash::universal_hash::UniversalHash::finalize(g);
            let e = block(j0);
            s.iter().zip(e.iter()).map(|(a, b)| a ^ b).take(tag_len).collect()
        };
        if encrypt {
            let mut out = gctr(data_in);
            let t = tag(&out);
            out.extend(t);
            Ok(out)
        } else {
            let Some(split) = data_in.len().checked_sub(tag_len) else {
                return operation("the data is shorter than the tag");
            };
            let (ciphertext, given) = data_in.split_at(split);
            if !bool::from(subtle::ConstantTimeEq::ct_eq(tag(ciphertext).as_slice(), given)) {
                return operation("the data could not be decrypted (authentication failed)");
            }
            Ok(gctr(ciphertext))
        }
    })
}

fn aes_cbc(p: &Params, key: &[u8], data_in: &[u8], encrypt: bool) -> Result<Vec<u8>> {
    use cbc::cipher::block_padding::Pkcs7;
    use cbc::cipher::{BlockDecryptMut as _, BlockEncryptMut as _, KeyIvInit as _};
    let iv = bytes_of("iv", p.iv.as_ref())?;
    if iv.len() != 16 {
        return operation("AES-CBC iv must be 16 bytes");
    }
    with_aes!(key.len(), A => {
        if encrypt {
            let c = cbc::Encryptor::<A>::new_from_slices(key, &iv).or_else(|_| data_err_key())?;
            Ok(c.encrypt_padded_vec_mut::<Pkcs7>(data_in))
        } else {
            let c = cbc::Decryptor::<A>::new_from_slices(key, &iv).or_else(|_| data_err_key())?;
            c.decrypt_padded_vec_mut::<Pkcs7>(data_in)
                .or_else(|_| operation("the data could not be decrypted (bad padding)"))
        }
    })
}

/// AES-KW (RFC 3394): wraps a key (a multiple of 8 bytes, at least 16).
fn aes_kw(key: &[u8], data_in: &[u8], wrap: bool) -> Result<Vec<u8>> {
    macro_rules! run {
        ($kek:ty) => {{
            let kek = <$kek>::try_from(key).or_else(|_| data_err_key())?;
            if wrap {
                if data_in.len() < 16 || data_in.len() % 8 != 0 {
                    return operation("AES-KW wraps data of 16 bytes or more, a multiple of 8");
                }
                kek.wrap_vec(data_in).or_else(|e| operation(e.to_string()))
            } else {
                kek.unwrap_vec(data_in).or_else(|_| {
                    operation("the data could not be unwrapped (integrity check failed)")
                })
            }
        }};
    }
    match key.len() {
        16 => run!(aes_kw::KekAes128),
        24 => run!(aes_kw::KekAes192),
        32 => run!(aes_kw::KekAes256),
        n => data(format!("AES keys are 128, 192 or 256 bits, not {}", n * 8)),
    }
}

/// AES-CTR: the rightmost `length` bits of the counter block count blocks, wrapping
/// modulo 2^length; the other bits stay as given.
fn aes_ctr(p: &Params, key: &[u8], data_in: &[u8]) -> Result<Vec<u8>> {
    let counter = bytes_of("counter", p.counter.as_ref())?;
    let Ok(counter) = <[u8; 16]>::try_from(counter.as_slice()) else {
        return operation("AES-CTR counter must be 16 bytes");
    };
    let bits = p.length.unwrap_or(0);
    if !(1..=128).contains(&bits) {
        return operation("AES-CTR length must be between 1 and 128");
    }
    let start = u128::from_be_bytes(counter);
    let mask = if bits == 128 {
        u128::MAX
    } else {
        (1u128 << bits) - 1
    };
    let blocks = data_in.len().div_ceil(16) as u128;
    if bits < 128 && blocks > (1u128 << bits) {
        return operation("AES-CTR counter would repeat for this much data");
    }
    with_aes!(key.len(), A => {
        let c = A::new_from_slice(key).or_else(|_| data_err_key())?;
        let mut out = Vec::with_capacity(data_in.len());
        for (i, chunk) in data_in.chunks(16).enumerate() {
            let n = (start & mask).wrapping_add(i as u128) & mask;
            let block_value = (start & !mask) | n;
            let mut block = GenericArray::clone_from_slice(&block_value.to_be_bytes());
            c.encrypt_block(&mut block);
            out.extend(chunk.iter().zip(block.iter()).map(|(d, k)| d ^ k));
        }
        Ok(out)
    })
}

/// `deriveBits`: `length` bits (or all, for ECDH with `None`) from `key`; `public` is
/// the peer's key for ECDH.
pub(crate) fn derive_bits(
    p: &Params,
    key: &[u8],
    public: &[u8],
    length: Option<u32>,
) -> Result<Vec<u8>> {
    match p.name.as_str() {
        "HKDF" | "PBKDF2" => {
            let Some(length) = length else {
                return operation(format!("{}: length is required", p.name));
            };
            if !length.is_multiple_of(8) {
                return operation("length must be a multiple of 8");
            }
            let hash = p.hash()?;
            let salt = bytes_of("salt", p.salt.as_ref())?;
            let mut out = vec![0u8; (length / 8) as usize];
            if p.name == "HKDF" {
                let info = bytes_of("info", p.info.as_ref())?;
                with_hash!(hash, H => hkdf::Hkdf::<H>::new(Some(&salt), key)
                    .expand(&info, &mut out)
                    .or_else(|_| operation("HKDF length is too large for the hash")))?;
            } else {
                let iterations = p.iterations.unwrap_or(0);
                if iterations == 0 {
                    return operation("PBKDF2 iterations must be greater than 0");
                }
                with_hash!(hash, H => pbkdf2::pbkdf2_hmac::<H>(key, &salt, iterations, &mut out));
            }
            Ok(out)
        }
        "ECDH" => {
            let secret = with_curve!(p.curve()?, m => {
                use m::pkcs8::DecodePublicKey as _;
                let private = m::SecretKey::from_pkcs8_der(key).or_else(|_| data_err_key())?;
                let peer = m::PublicKey::from_public_key_der(public).or_else(|_| data_err_key())?;
                m::ecdh::diffie_hellman(private.to_nonzero_scalar(), peer.as_affine())
                    .raw_secret_bytes()
                    .to_vec()
            });
            truncate_bits(secret, length)
        }
        "X25519" | "X448" => {
            let m = Montgomery::of(&p.name)?;
            if key.len() != m.len || public.len() != m.len {
                return data_err_key();
            }
            match (m.shared)(key, public) {
                Some(shared) if shared.iter().any(|&b| b != 0) => truncate_bits(shared, length),
                _ => operation("the shared secret is all zeros (a small-order public key)"),
            }
        }
        other => fail("InvalidAccessError", format!("{other} cannot derive bits")),
    }
}

fn truncate_bits(mut bits: Vec<u8>, length: Option<u32>) -> Result<Vec<u8>> {
    let Some(length) = length else {
        return Ok(bits);
    };
    let bytes = length.div_ceil(8) as usize;
    if bytes > bits.len() {
        return operation(format!(
            "length {length} is more than the {} bits available",
            bits.len() * 8
        ));
    }
    bits.truncate(bytes);
    if !length.is_multiple_of(8)
        && let Some(last) = bits.last_mut()
    {
        *last &= 0xffu8 << (8 - length % 8);
    }
    Ok(bits)
}

/// A generated or imported key: its type (`secret`, `public`, `private`), canonical
/// material and what the algorithm object shows (`length`, `modulusLength`,
/// `publicExponent`).
#[derive(Debug)]
pub(crate) struct KeyData {
    pub(crate) kind: &'static str,
    pub(crate) material: Vec<u8>,
    pub(crate) meta: Value,
}

impl KeyData {
    fn new(kind: &'static str, material: Vec<u8>) -> KeyData {
        KeyData {
            kind,
            material,
            meta: json!({}),
        }
    }
}

/// `generateKey`: one secret key, or a private and a public key.
pub(crate) fn generate(p: &Params) -> Result<Vec<KeyData>> {
    match p.name.as_str() {
        "HMAC" | "AES-GCM" | "AES-CBC" | "AES-CTR" | "AES-KW" => {
            let bits = secret_length(p)?;
            let mut key = vec![0u8; bits.div_ceil(8) as usize];
            lunar_core::compat::codec::fill_os_random(&mut key).or_else(operation)?;
            let mut k = KeyData::new("secret", key);
            k.meta = json!({ "length": bits });
            Ok(vec![k])
        }
        "ECDSA" | "ECDH" => with_curve!(p.curve()?, m => {
            use m::pkcs8::{EncodePrivateKey as _, EncodePublicKey as _};
            let secret = m::SecretKey::random(&mut OsRng);
            let private = secret.to_pkcs8_der().or_else(|e| operation(e.to_string()))?;
            let public = secret.public_key().to_public_key_der().or_else(|e| operation(e.to_string()))?;
            Ok(vec![
                KeyData::new("private", private.as_bytes().to_vec()),
                KeyData::new("public", public.as_bytes().to_vec()),
            ])
        }),
        "Ed25519" => {
            let signer = ed25519_dalek::SigningKey::generate(&mut OsRng);
            Ok(vec![
                KeyData::new("private", signer.to_bytes().to_vec()),
                KeyData::new("public", signer.verifying_key().to_bytes().to_vec()),
            ])
        }
        "X25519" | "X448" => {
            let m = Montgomery::of(&p.name)?;
            let mut private = vec![0u8; m.len];
            lunar_core::compat::codec::fill_os_random(&mut private).or_else(operation)?;
            let public = (m.public_of)(&private);
            Ok(vec![
                KeyData::new("private", private),
                KeyData::new("public", public),
            ])
        }
        "RSASSA-PKCS1-v1_5" | "RSA-PSS" | "RSA-OAEP" => {
            let bits = p.modulus_length.unwrap_or(0);
            if !(1024..=8192).contains(&bits) || !bits.is_multiple_of(8) {
                return operation("modulusLength must be a multiple of 8 from 1024 to 8192");
            }
            let e =
                BigUint::from_bytes_be(&bytes_of("publicExponent", p.public_exponent.as_ref())?);
            if e != BigUint::from(3u32) && e != BigUint::from(65537u32) {
                return operation("publicExponent must be 3 or 65537");
            }
            let private = RsaPrivateKey::new_with_exp(&mut OsRng, bits as usize, &e)
                .or_else(|e| operation(e.to_string()))?;
            let public = private.to_public_key();
            let meta = rsa_meta(&public);
            let mut keys = vec![
                KeyData::new("private", rsa_private_der(&private)?),
                KeyData::new("public", rsa_public_der(&public)?),
            ];
            for k in &mut keys {
                k.meta = meta.clone();
            }
            Ok(keys)
        }
        other => not_supported(format!("{other} keys cannot be generated")),
    }
}

/// The length in bits of a new secret key (`length`, or the algorithm's default).
fn secret_length(p: &Params) -> Result<u32> {
    if p.name == "HMAC" {
        let bits = match p.length {
            Some(n) => n,
            None => p.hash()?.block_bits(),
        };
        if bits == 0 {
            return operation("HMAC length must not be 0");
        }
        return Ok(bits);
    }
    match p.length {
        Some(n @ (128 | 192 | 256)) => Ok(n),
        _ => operation("AES key length must be 128, 192 or 256 bits"),
    }
}

/// `importKey`: the key in `format` (`raw`, `spki`, `pkcs8`, `jwk`; a JWK as JSON text).
pub(crate) fn import(p: &Params, format: &str, input: &[u8]) -> Result<KeyData> {
    let jwk: Option<Value> = if format == "jwk" {
        Some(serde_json::from_slice(input).or_else(|_| data("the JWK is not valid JSON"))?)
    } else {
        None
    };
    match p.name.as_str() {
        "HMAC" | "AES-GCM" | "AES-CBC" | "AES-CTR" | "AES-KW" | "HKDF" | "PBKDF2" => {
            let key = match (format, &jwk) {
                ("raw", _) => input.to_vec(),
                ("jwk", Some(j)) => {
                    jwk_kty(j, "oct")?;
                    jwk_bytes(j, "k")?
                }
                _ => {
                    return not_supported(format!(
                        "{} keys cannot be imported as {format}",
                        p.name
                    ));
                }
            };
            let bits = (key.len() * 8) as u32;
            if p.name.starts_with("AES") && ![128, 192, 256].contains(&bits) {
                return data(format!("AES keys are 128, 192 or 256 bits, not {bits}"));
            }
            if p.name == "HMAC" {
                if key.is_empty() {
                    return data("HMAC keys must not be empty");
                }
                if let Some(n) = p.length
                    && (n > bits || n + 8 <= bits)
                {
                    return data(format!("length {n} does not match the key's {bits} bits"));
                }
            }
            let mut k = KeyData::new("secret", key);
            if p.name == "HMAC" || p.name.starts_with("AES") {
                k.meta = json!({ "length": p.length.filter(|_| p.name == "HMAC").unwrap_or(bits) });
            }
            Ok(k)
        }
        "ECDSA" | "ECDH" => import_ec(p, format, input, jwk.as_ref()),
        "Ed25519" => import_ed25519(format, input, jwk.as_ref()),
        "X25519" | "X448" => {
            import_montgomery(Montgomery::of(&p.name)?, format, input, jwk.as_ref())
        }
        "RSASSA-PKCS1-v1_5" | "RSA-PSS" | "RSA-OAEP" => import_rsa(format, input, jwk.as_ref()),
        other => not_supported(format!("{other} keys cannot be imported")),
    }
}

fn jwk_kty(j: &Value, kty: &str) -> Result<()> {
    if j.get("kty").and_then(Value::as_str) == Some(kty) {
        Ok(())
    } else {
        data(format!("the JWK's kty must be \"{kty}\""))
    }
}

fn jwk_bytes(j: &Value, field: &str) -> Result<Vec<u8>> {
    let Some(s) = j.get(field).and_then(Value::as_str) else {
        return data(format!("the JWK has no \"{field}\""));
    };
    URL_SAFE_NO_PAD
        .decode(s.trim_end_matches('='))
        .or_else(|_| data(format!("the JWK's \"{field}\" is not base64url")))
}

fn b64url(bytes: &[u8]) -> String {
    URL_SAFE_NO_PAD.encode(bytes)
}

fn import_ec(p: &Params, format: &str, input: &[u8], jwk: Option<&Value>) -> Result<KeyData> {
    let curve = p.curve()?;
    with_curve!(curve, m => {
        use m::pkcs8::{EncodePrivateKey as _, EncodePublicKey as _, DecodePublicKey as _};
        let public_der = |k: &m::PublicKey| -> Result<Vec<u8>> {
            Ok(k.to_public_key_der().or_else(|e| operation(e.to_string()))?.as_bytes().to_vec())
        };
        match (format, jwk) {
            ("raw", _) => {
                let k = m::PublicKey::from_sec1_bytes(input).or_else(|_| data_err_key())?;
                Ok(KeyData::new("public", public_der(&k)?))
            }
            ("spki", _) => {
                let k = m::PublicKey::from_public_key_der(input).or_else(|_| data_err_key())?;
                Ok(KeyData::new("public", public_der(&k)?))
            }
            ("pkcs8", _) => {
                let k = m::SecretKey::from_pkcs8_der(input).or_else(|_| data_err_key())?;
                let der = k.to_pkcs8_der().or_else(|e| operation(e.to_string()))?;
                Ok(KeyData::new("private", der.as_bytes().to_vec()))
            }
            ("jwk", Some(j)) => {
                jwk_kty(j, "EC")?;
                if j.get("crv").and_then(Value::as_str) != p.named_curve.as_deref() {
                    return data("the JWK's crv does not match namedCurve");
                }
                // Only the members the curve crates read (they refuse others).
                let mut members = serde_json::Map::new();
                for k in ["kty", "crv", "x", "y", "d"] {
                    if let Some(v) = j.get(k) {
                        members.insert(k.to_owned(), v.clone());
                    }
                }
                let text = Value::Object(members).to_string();
                if j.get("d").is_some() {
                    let k = m::SecretKey::from_jwk_str(&text).or_else(|_| data_err_key())?;
                    let der = k.to_pkcs8_der().or_else(|e| operation(e.to_string()))?;
                    Ok(KeyData::new("private", der.as_bytes().to_vec()))
                } else {
                    let k = m::PublicKey::from_jwk_str(&text).or_else(|_| data_err_key())?;
                    Ok(KeyData::new("public", public_der(&k)?))
                }
            }
            _ => not_supported(format!("EC keys cannot be imported as {format}")),
        }
    })
}

fn ed25519_signing(seed: &[u8]) -> Result<ed25519_dalek::SigningKey> {
    let Ok(seed) = <[u8; 32]>::try_from(seed) else {
        return data_err_key();
    };
    Ok(ed25519_dalek::SigningKey::from_bytes(&seed))
}

fn import_ed25519(format: &str, input: &[u8], jwk: Option<&Value>) -> Result<KeyData> {
    match (format, jwk) {
        ("raw", _) => {
            let Ok(point) = <[u8; 32]>::try_from(input) else {
                return data("Ed25519 raw public keys are 32 bytes");
            };
            ed25519_dalek::VerifyingKey::from_bytes(&point).or_else(|_| data_err_key())?;
            Ok(KeyData::new("public", point.to_vec()))
        }
        ("spki", _) => {
            let k = ed25519_dalek::VerifyingKey::from_public_key_der(input)
                .or_else(|_| data_err_key())?;
            Ok(KeyData::new("public", k.to_bytes().to_vec()))
        }
        ("pkcs8", _) => {
            let k = ed25519_dalek::SigningKey::from_pkcs8_der(input).or_else(|_| data_err_key())?;
            Ok(KeyData::new("private", k.to_bytes().to_vec()))
        }
        ("jwk", Some(j)) => {
            jwk_kty(j, "OKP")?;
            if j.get("crv").and_then(Value::as_str) != Some("Ed25519") {
                return data("the JWK's crv must be \"Ed25519\"");
            }
            let x = jwk_bytes(j, "x")?;
            if j.get("d").is_some() {
                let signer = ed25519_signing(&jwk_bytes(j, "d")?)?;
                if signer.verifying_key().as_bytes().as_slice() != x.as_slice() {
                    return data("the JWK's x does not match d");
                }
                Ok(KeyData::new("private", signer.to_bytes().to_vec()))
            } else {
                import_ed25519("raw", &x, None)
            }
        }
        _ => not_supported(format!("Ed25519 keys cannot be imported as {format}")),
    }
}

/// An ECDH curve in Montgomery form (RFC 7748): its key length, the DER prefixes of its
/// SPKI and PKCS #8 v1 keys (RFC 8410), the public key of a private key, and the shared
/// secret of a private and a public key (`None` for a small-order public key).
struct Montgomery {
    name: &'static str,
    len: usize,
    spki: &'static [u8],
    pkcs8: &'static [u8],
    public_of: fn(&[u8]) -> Vec<u8>,
    shared: fn(&[u8], &[u8]) -> Option<Vec<u8>>,
}

const X25519: Montgomery = Montgomery {
    name: "X25519",
    len: 32,
    spki: &[
        0x30, 0x2a, 0x30, 0x05, 0x06, 0x03, 0x2b, 0x65, 0x6e, 0x03, 0x21, 0x00,
    ],
    pkcs8: &[
        0x30, 0x2e, 0x02, 0x01, 0x00, 0x30, 0x05, 0x06, 0x03, 0x2b, 0x65, 0x6e, 0x04, 0x22, 0x04,
        0x20,
    ],
    public_of: |d| {
        let d: [u8; 32] = d.try_into().unwrap_or([0; 32]);
        x25519_dalek::PublicKey::from(&x25519_dalek::StaticSecret::from(d))
            .to_bytes()
            .to_vec()
    },
    shared: |d, p| {
        let (Ok(d), Ok(p)) = (<[u8; 32]>::try_from(d), <[u8; 32]>::try_from(p)) else {
            return None;
        };
        let s =
            x25519_dalek::StaticSecret::from(d).diffie_hellman(&x25519_dalek::PublicKey::from(p));
        Some(s.as_bytes().to_vec())
    },
};

const X448: Montgomery = Montgomery {
    name: "X448",
    len: 56,
    spki: &[
        0x30, 0x42, 0x30, 0x05, 0x06, 0x03, 0x2b, 0x65, 0x6f, 0x03, 0x39, 0x00,
    ],
    pkcs8: &[
        0x30, 0x46, 0x02, 0x01, 0x00, 0x30, 0x05, 0x06, 0x03, 0x2b, 0x65, 0x6f, 0x04, 0x3a, 0x04,
        0x38,
    ],
    public_of: |d| {
        let d: [u8; 56] = d.try_into().unwrap_or([0; 56]);
        x448::x448_unchecked(d, x448::X448_BASEPOINT_BYTES).to_vec()
    },
    shared: |d, p| {
        let (Ok(d), Ok(p)) = (<[u8; 56]>::try_from(d), <[u8; 56]>::try_from(p)) else {
            return None;
        };
        x448::x448(d, p).map(|s| s.to_vec())
    },
};

impl Montgomery {
    fn of(name: &str) -> Result<&'static Montgomery> {
        match name {
            "X25519" => Ok(&X25519),
            "X448" => Ok(&X448),
            other => not_supported(format!("{other} is not a Montgomery curve")),
        }
    }

    fn strip(&self, input: &[u8], prefix: &[u8]) -> Result<Vec<u8>> {
        match input.strip_prefix(prefix) {
            Some(rest) if rest.len() == self.len => Ok(rest.to_vec()),
            _ => data_err_key(),
        }
    }

    fn jwk(&self, x: &[u8], d: Option<&[u8]>) -> Exported {
        let mut j = json!({ "kty": "OKP", "crv": self.name, "x": b64url(x) });
        if let Some(d) = d {
            j["d"] = Value::String(b64url(d));
        }
        Exported::Jwk(j)
    }
}

fn import_montgomery(
    m: &Montgomery,
    format: &str,
    input: &[u8],
    jwk: Option<&Value>,
) -> Result<KeyData> {
    match (format, jwk) {
        ("raw", _) if input.len() == m.len => Ok(KeyData::new("public", input.to_vec())),
        ("raw", _) => data(format!("{} raw public keys are {} bytes", m.name, m.len)),
        ("spki", _) => Ok(KeyData::new("public", m.strip(input, m.spki)?)),
        ("pkcs8", _) => Ok(KeyData::new("private", m.strip(input, m.pkcs8)?)),
        ("jwk", Some(j)) => {
            jwk_kty(j, "OKP")?;
            if j.get("crv").and_then(Value::as_str) != Some(m.name) {
                return data(format!("the JWK's crv must be \"{}\"", m.name));
            }
            let x = jwk_bytes(j, "x")?;
            if j.get("d").is_none() {
                return import_montgomery(m, "raw", &x, None);
            }
            let d = jwk_bytes(j, "d")?;
            if d.len() != m.len {
                return data_err_key();
            }
            if (m.public_of)(&d) != x {
                return data("the JWK's x does not match d");
            }
            Ok(KeyData::new("private", d))
        }
        _ => not_supported(format!("{} keys cannot be imported as {format}", m.name)),
    }
}

fn rsa_private(der: &[u8]) -> Result<RsaPrivateKey> {
    use rsa::pkcs8::DecodePrivateKey as _;
    RsaPrivateKey::from_pkcs8_der(der).or_else(|_| data_err_key())
}

fn rsa_public(der: &[u8]) -> Result<RsaPublicKey> {
    use rsa::pkcs8::DecodePublicKey as _;
    RsaPublicKey::from_public_key_der(der).or_else(|_| data_err_key())
}

fn rsa_private_der(k: &RsaPrivateKey) -> Result<Vec<u8>> {
    use rsa::pkcs8::EncodePrivateKey as _;
    Ok(k.to_pkcs8_der()
        .or_else(|e| operation(e.to_string()))?
        .as_bytes()
        .to_vec())
}

fn rsa_public_der(k: &RsaPublicKey) -> Result<Vec<u8>> {
    use rsa::pkcs8::EncodePublicKey as _;
    Ok(k.to_public_key_der()
        .or_else(|e| operation(e.to_string()))?
        .as_bytes()
        .to_vec())
}

fn rsa_meta(k: &RsaPublicKey) -> Value {
    json!({
        "modulusLength": k.n().bits(),
        "publicExponent": STANDARD.encode(k.e().to_bytes_be()),
    })
}

fn import_rsa(format: &str, input: &[u8], jwk: Option<&Value>) -> Result<KeyData> {
    let (kind, material, public) = match (format, jwk) {
        ("spki", _) => {
            let k = rsa_public(input)?;
            ("public", rsa_public_der(&k)?, k)
        }
        ("pkcs8", _) => {
            let k = rsa_private(input)?;
            ("private", rsa_private_der(&k)?, k.to_public_key())
        }
        ("jwk", Some(j)) => {
            jwk_kty(j, "RSA")?;
            let n = BigUint::from_bytes_be(&jwk_bytes(j, "n")?);
            let e = BigUint::from_bytes_be(&jwk_bytes(j, "e")?);
            if j.get("d").is_some() {
                let d = BigUint::from_bytes_be(&jwk_bytes(j, "d")?);
                let primes = if j.get("p").is_some() {
                    vec![
                        BigUint::from_bytes_be(&jwk_bytes(j, "p")?),
                        BigUint::from_bytes_be(&jwk_bytes(j, "q")?),
                    ]
                } else {
                    Vec::new()
                };
                let mut k =
                    RsaPrivateKey::from_components(n, e, d, primes).or_else(|_| data_err_key())?;
                k.validate().or_else(|_| data_err_key())?;
                k.precompute().or_else(|_| data_err_key())?;
                ("private", rsa_private_der(&k)?, k.to_public_key())
            } else {
                let k = RsaPublicKey::new(n, e).or_else(|_| data_err_key())?;
                ("public", rsa_public_der(&k)?, k)
            }
        }
        _ => return not_supported(format!("RSA keys cannot be imported as {format}")),
    };
    Ok(KeyData {
        kind,
        material,
        meta: rsa_meta(&public),
    })
}

/// What `exportKey` gives: bytes, or a JWK's key members (the prelude adds `alg`,
/// `ext` and `key_ops`).
#[derive(Debug)]
pub(crate) enum Exported {
    Bytes(Vec<u8>),
    Jwk(Value),
}

/// `exportKey` of a key of `kind` (`secret`, `public`, `private`) with `material`.
pub(crate) fn export(p: &Params, format: &str, kind: &str, material: &[u8]) -> Result<Exported> {
    let unsupported = || {
        not_supported(format!(
            "{} {kind} keys cannot be exported as {format}",
            p.name
        ))
    };
    match p.name.as_str() {
        "HMAC" | "AES-GCM" | "AES-CBC" | "AES-CTR" | "AES-KW" => match format {
            "raw" => Ok(Exported::Bytes(material.to_vec())),
            "jwk" => Ok(Exported::Jwk(
                json!({ "kty": "oct", "k": b64url(material) }),
            )),
            _ => unsupported(),
        },
        "ECDSA" | "ECDH" => with_curve!(p.curve()?, m => {
            use m::pkcs8::DecodePublicKey as _;
            use m::elliptic_curve::sec1::ToEncodedPoint as _;
            match (format, kind) {
                ("spki", "public") | ("pkcs8", "private") => Ok(Exported::Bytes(material.to_vec())),
                ("raw", "public") => {
                    let k = m::PublicKey::from_public_key_der(material).or_else(|_| data_err_key())?;
                    Ok(Exported::Bytes(k.to_encoded_point(false).as_bytes().to_vec()))
                }
                ("jwk", "public") => {
                    let k = m::PublicKey::from_public_key_der(material).or_else(|_| data_err_key())?;
                    Ok(Exported::Jwk(serde_json::from_str(&k.to_jwk_string()).or_else(|e| operation(e.to_string()))?))
                }
                ("jwk", "private") => {
                    let k = m::SecretKey::from_pkcs8_der(material).or_else(|_| data_err_key())?;
                    let text = k.to_jwk_string();
                    Ok(Exported::Jwk(serde_json::from_str(&text).or_else(|e| operation(e.to_string()))?))
                }
                _ => unsupported(),
            }
        }),
        "Ed25519" => {
            let jwk = |x: &[u8], d: Option<&[u8]>| {
                let mut j = json!({ "kty": "OKP", "crv": "Ed25519", "x": b64url(x) });
                if let Some(d) = d {
                    j["d"] = Value::String(b64url(d));
                }
                Exported::Jwk(j)
            };
            match (format, kind) {
                ("raw", "public") => Ok(Exported::Bytes(material.to_vec())),
                ("jwk", "public") => Ok(jwk(material, None)),
                ("spki", "public") => {
                    let Ok(point) = <[u8; 32]>::try_from(material) else {
                        return data_err_key();
                    };
                    let k = ed25519_dalek::VerifyingKey::from_bytes(&point)
                        .or_else(|_| data_err_key())?;
                    let der = k
                        .to_public_key_der()
                        .or_else(|e| operation(e.to_string()))?;
                    Ok(Exported::Bytes(der.as_bytes().to_vec()))
                }
                ("pkcs8", "private") => {
                    let der = ed25519_signing(material)?
                        .to_pkcs8_der()
                        .or_else(|e| operation(e.to_string()))?;
                    Ok(Exported::Bytes(der.as_bytes().to_vec()))
                }
                ("jwk", "private") => {
                    let signer = ed25519_signing(material)?;
                    Ok(jwk(signer.verifying_key().as_bytes(), Some(material)))
                }
                _ => unsupported(),
            }
        }
        "X25519" | "X448" => {
            let m = Montgomery::of(&p.name)?;
            if material.len() != m.len {
                return data_err_key();
            }
            match (format, kind) {
                ("raw", "public") => Ok(Exported::Bytes(material.to_vec())),
                ("spki", "public") => Ok(Exported::Bytes([m.spki, material].concat())),
                ("pkcs8", "private") => Ok(Exported::Bytes([m.pkcs8, material].concat())),
                ("jwk", "public") => Ok(m.jwk(material, None)),
                ("jwk", "private") => Ok(m.jwk(&(m.public_of)(material), Some(material))),
                _ => unsupported(),
            }
        }
        "RSASSA-PKCS1-v1_5" | "RSA-PSS" | "RSA-OAEP" => match (format, kind) {
            ("spki", "public") | ("pkcs8", "private") => Ok(Exported::Bytes(material.to_vec())),
            ("jwk", "public") => {
                let k = rsa_public(material)?;
                Ok(Exported::Jwk(json!({
                    "kty": "RSA",
                    "n": b64url(&k.n().to_bytes_be()),
                    "e": b64url(&k.e().to_bytes_be()),
                })))
            }
            ("jwk", "private") => {
                let k = rsa_private(material)?;
                let primes = k.primes();
                let (Some(p1), Some(q1), Some(dp), Some(dq), Some(qi)) = (
                    primes.first(),
                    primes.get(1),
                    k.dp(),
                    k.dq(),
                    k.crt_coefficient(),
                ) else {
                    return operation("the RSA key has no CRT values");
                };
                Ok(Exported::Jwk(json!({
                    "kty": "RSA",
                    "n": b64url(&k.n().to_bytes_be()),
                    "e": b64url(&k.e().to_bytes_be()),
                    "d": b64url(&k.d().to_bytes_be()),
                    "p": b64url(&p1.to_bytes_be()),
                    "q": b64url(&q1.to_bytes_be()),
                    "dp": b64url(&dp.to_bytes_be()),
                    "dq": b64url(&dq.to_bytes_be()),
                    "qi": b64url(&qi.to_bytes_be()),
                })))
            }
            _ => unsupported(),
        },
        other => not_supported(format!("{other} keys cannot be exported")),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn params(v: Value) -> Params {
        serde_json::from_value(v).unwrap()
    }

    #[test]
    fn hmac_sha256_matches_rfc_4231_case_2() {
        let p = params(json!({"name": "HMAC", "hash": "SHA-256"}));
        let mac = sign(&p, b"Jefe", b"what do ya want for nothing?").unwrap();
        assert_eq!(
            hex(&mac),
            "5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843"
        );
        assert!(verify(&p, b"Jefe", &mac, b"what do ya want for nothing?").unwrap());
        assert!(!verify(&p, b"Jefe", &mac, b"what do ya want for nothing!").unwrap());
    }

    #[test]
    fn aes_gcm_round_trips() {
        let p = params(
            json!({"name": "AES-GCM", "iv": STANDARD.encode([7u8; 12]), "additionalData": STANDARD.encode(b"aad")}),
        );
        let key = [1u8; 16];
        let sealed = cipher(&p, &key, b"hello", true).unwrap();
        assert_eq!(sealed.len(), 5 + 16);
        assert_eq!(cipher(&p, &key, &sealed, false).unwrap(), b"hello");
    }

    fn hex(b: &[u8]) -> String {
        b.iter().map(|x| format!("{x:02x}")).collect()
    }
}
