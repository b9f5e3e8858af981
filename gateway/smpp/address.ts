/**
 * The sender's address as the SMSC reads it: TON and NPI follow the form of SMPP_SOURCE_ADDR
 * (or a carrier's `sourceAddr`), so that an operator who sets a long number or a name is not
 * sent with a short code's TON (pure).
 *
 * SMPP 3.4 §5.2.5–6: a carrier-assigned short code (`1414`) is "network specific" (TON 3, NPI 0
 * unknown); a full number is international (TON 1) in E.164 (NPI 1); a name is alphanumeric
 * (TON 5, NPI 0), at most 11 characters (3GPP TS 23.040 §9.1.2.5: 11 GSM characters in 7-bit).
 */
import { normalizeMsisdn } from '../../common/msisdn.js';

export interface SourceAddressing {
  readonly sourceAddr: string;
  readonly sourceTon: number;
  readonly sourceNpi: number;
}

/** The longest short code read as one: longer digit strings are numbers (E.164 has up to 15). */
const SHORT_CODE = /^\d{1,8}$/;
const INTERNATIONAL = /^\+?(\d{9,15})$/;
const ALPHANUMERIC = /^[A-Za-z0-9][A-Za-z0-9 .\-_]{0,10}$/;

/** The addressing of `addr`, or why it cannot be a sender. */
export function sourceAddressing(addr: string): SourceAddressing | { readonly error: string } {
  if (SHORT_CODE.test(addr)) return { sourceAddr: addr, sourceTon: 3, sourceNpi: 0 };
  // `8 701 …`, `+7 701 …`: a Kazakh number is sent in its canonical form.
  const msisdn = normalizeMsisdn(addr);
  if (msisdn !== undefined) return { sourceAddr: msisdn, sourceTon: 1, sourceNpi: 1 };
  const international = INTERNATIONAL.exec(addr);
  if (international) return { sourceAddr: international[1]!, sourceTon: 1, sourceNpi: 1 };
  if (ALPHANUMERIC.test(addr) && /[A-Za-z]/.test(addr))
    return { sourceAddr: addr, sourceTon: 5, sourceNpi: 0 };
  return {
    error:
      'must be a short code (up to 8 digits, e.g. 1414), a full number (7XXXXXXXXXX or +…, up to 15 digits) or a name of up to 11 Latin letters and digits',
  };
}
