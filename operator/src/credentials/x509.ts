/**
 * Just enough X.509 to make the platform's private CA and the server certificates it signs
 * (Mosquitto's MQTT-over-TLS listener, TimescaleDB's TLS), with node:crypto alone: ECDSA P-256
 * keys, SHA-256 signatures, DER written by hand. Node can parse and verify certificates
 * (X509Certificate) but not make them, and the operator image gains no PKI library for this.
 * Pure apart from key generation and the clock the caller passes.
 */
import {
  createHash,
  createPrivateKey,
  createPublicKey,
  generateKeyPairSync,
  randomBytes,
  sign,
  type KeyObject,
} from 'node:crypto';

// --- DER ---------------------------------------------------------------------------------------

function length(n: number): Buffer {
  if (n < 0x80) return Buffer.from([n]);
  const bytes: number[] = [];
  for (let v = n; v > 0; v = Math.floor(v / 256)) bytes.unshift(v & 0xff);
  return Buffer.from([0x80 | bytes.length, ...bytes]);
}

function tlv(tag: number, ...content: Buffer[]): Buffer {
  const body = Buffer.concat(content);
  return Buffer.concat([Buffer.from([tag]), length(body.length), body]);
}

const sequence = (...items: Buffer[]) => tlv(0x30, ...items);
const set = (...items: Buffer[]) => tlv(0x31, ...items);
const octetString = (b: Buffer) => tlv(0x04, b);
const utf8 = (s: string) => tlv(0x0c, Buffer.from(s, 'utf8'));
const bool = (v: boolean) => tlv(0x01, Buffer.from([v ? 0xff : 0x00]));
/** [n] EXPLICIT */
const explicit = (n: number, inner: Buffer) => tlv(0xa0 | n, inner);

/** A non-negative INTEGER from big-endian bytes (a leading 0 keeps it positive). */
function integer(bytes: Buffer): Buffer {
  let b = bytes;
  while (b.length > 1 && b[0] === 0 && (b[1]! & 0x80) === 0) b = b.subarray(1);
  if ((b[0]! & 0x80) !== 0) b = Buffer.concat([Buffer.from([0]), b]);
  return tlv(0x02, b);
}

function oid(dotted: string): Buffer {
  const parts = dotted.split('.').map(Number);
  const out: number[] = [40 * parts[0]! + parts[1]!];
  for (const p of parts.slice(2)) {
    const chunk: number[] = [p & 0x7f];
    for (let v = Math.floor(p / 128); v > 0; v = Math.floor(v / 128)) chunk.unshift(0x80 | (v & 0x7f));
    out.push(...chunk);
  }
  return tlv(0x06, Buffer.from(out));
}

function bitString(b: Buffer, unusedBits = 0): Buffer {
  return tlv(0x03, Buffer.from([unusedBits]), b);
}

/** UTCTime before 2050, GeneralizedTime from then on (RFC 5280 4.1.2.5). */
function time(d: Date): Buffer {
  const iso = d.toISOString().replace(/[-:T]/g, '').slice(0, 14); // YYYYMMDDHHMMSS
  return d.getUTCFullYear() < 2050
    ? tlv(0x17, Buffer.from(`${iso.slice(2)}Z`))
    : tlv(0x18, Buffer.from(`${iso}Z`));
}

const OID = {
  commonName: '2.5.4.3',
  organization: '2.5.4.10',
  ecdsaWithSha256: '1.2.840.10045.4.3.2',
  basicConstraints: '2.5.29.19',
  keyUsage: '2.5.29.15',
  extKeyUsage: '2.5.29.37',
  subjectAltName: '2.5.29.17',
  subjectKeyIdentifier: '2.5.29.14',
  authorityKeyIdentifier: '2.5.29.35',
  serverAuth: '1.3.6.1.5.5.7.3.1',
  clientAuth: '1.3.6.1.5.5.7.3.2',
} as const;

function name(commonName: string): Buffer {
  return sequence(
    set(sequence(oid(OID.organization), utf8('iotpipe'))),
    set(sequence(oid(OID.commonName), utf8(commonName))),
  );
}

function extension(id: string, critical: boolean, value: Buffer): Buffer {
  return sequence(oid(id), ...(critical ? [bool(true)] : []), octetString(value));
}

/** KeyUsage bits, numbered as in RFC 5280 (digitalSignature 0 ... cRLSign 6). */
function keyUsage(bits: readonly number[]): Buffer {
  let v = 0;
  for (const bit of bits) v |= 0x80 >> bit;
  const highest = Math.max(...bits);
  return bitString(Buffer.from([v]), 7 - highest);
}

/** The SHA-1 of the public key's bit string (RFC 5280 4.2.1.2 method 1), as key identifiers go. */
function keyIdentifier(publicKey: KeyObject): Buffer {
  const spki = publicKey.export({ type: 'spki', format: 'der' });
  // The SubjectPublicKeyInfo ends with the key's BIT STRING; P-256 keys are 65 bytes uncompressed.
  return createHash('sha1')
    .update(spki.subarray(spki.length - 65))
    .digest();
}

// --- certificates ------------------------------------------------------------------------------

export interface KeyPair {
  privateKey: KeyObject;
  publicKey: KeyObject;
}

export function newKeyPair(): KeyPair {
  return generateKeyPairSync('ec', { namedCurve: 'prime256v1' });
}

export interface CertificateRequest {
  commonName: string;
  /** DNS names (subjectAltName); a leaf certificate's host names. */
  dnsNames?: readonly string[];
  /** A CA certificate (keyCertSign) instead of a server certificate. */
  ca?: boolean;
  notBefore: Date;
  notAfter: Date;
  publicKey: KeyObject;
}

export interface Issuer {
  commonName: string;
  keys: KeyPair;
}

/** A DER certificate for `req`, signed by `issuer` (the request's own key when self-signed). */
export function certificate(req: CertificateRequest, issuer: Issuer): Buffer {
  const serial = randomBytes(16);
  serial[0] = serial[0]! & 0x7f;
  const signature = sequence(oid(OID.ecdsaWithSha256));
  const extensions = [
    extension(
      OID.basicConstraints,
      true,
      req.ca ? sequence(bool(true), integer(Buffer.from([0]))) : sequence(),
    ),
    // CA: keyCertSign (5), cRLSign (6); server: digitalSignature (0), keyEncipherment (2).
    extension(OID.keyUsage, true, keyUsage(req.ca ? [5, 6] : [0, 2])),
    extension(OID.subjectKeyIdentifier, false, octetString(keyIdentifier(req.publicKey))),
    extension(OID.authorityKeyIdentifier, false, sequence(tlv(0x80, keyIdentifier(issuer.keys.publicKey)))),
  ];
  if (!req.ca) {
    extensions.push(extension(OID.extKeyUsage, false, sequence(oid(OID.serverAuth), oid(OID.clientAuth))));
    const names = req.dnsNames ?? [];
    if (names.length === 0) throw new Error(`server certificate ${req.commonName}: no DNS name`);
    // dNSName is [2] IMPLICIT IA5String.
    extensions.push(
      extension(OID.subjectAltName, false, sequence(...names.map((n) => tlv(0x82, Buffer.from(n, 'ascii'))))),
    );
  }
  const tbs = sequence(
    explicit(0, integer(Buffer.from([2]))), // v3
    integer(serial),
    signature,
    name(issuer.commonName),
    sequence(time(req.notBefore), time(req.notAfter)),
    name(req.commonName),
    req.publicKey.export({ type: 'spki', format: 'der' }),
    explicit(3, sequence(...extensions)),
  );
  const sig = sign('sha256', tbs, issuer.keys.privateKey);
  return sequence(tbs, signature, bitString(sig));
}

export function pem(label: 'CERTIFICATE' | 'PRIVATE KEY', der: Buffer): string {
  const lines = der.toString('base64').match(/.{1,64}/g) ?? [];
  return `-----BEGIN ${label}-----\n${lines.join('\n')}\n-----END ${label}-----\n`;
}

/** A private key as PKCS#8 PEM (what OpenSSL, Mosquitto and PostgreSQL read). */
export function privateKeyPem(key: KeyObject): string {
  return key.export({ type: 'pkcs8', format: 'pem' }).toString();
}

/** The key pair of a PKCS#8 PEM private key. */
export function keyPairOf(privatePem: string): KeyPair {
  const privateKey = createPrivateKey(privatePem);
  return { privateKey, publicKey: createPublicKey(privateKey) };
}
