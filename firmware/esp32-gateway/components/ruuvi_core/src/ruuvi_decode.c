/**
 * @file ruuvi_decode.c
 * Decoders written from the public data format specifications at docs.ruuvi.com.
 */
#include "ruuvi_decode.h"

#include <math.h>
#include <string.h>

/* "Not available": smallest value for signed fields, largest for unsigned, all bits for MAC. */
#define RUUVI_NA_I16         (-32768L)
#define RUUVI_NA_U16         (0xFFFFUL)
#define RUUVI_NA_U8          (0xFFUL)
#define RUUVI_NA_U9          (0x1FFUL)
#define RUUVI_NA_U24         (0xFFFFFFUL)
#define RUUVI_NA_BATTERY_11  (0x7FFUL)
#define RUUVI_NA_TX_POWER_5  (0x1FUL)

#define RUUVI_TEMPERATURE_DIVISOR  (200.0)
#define RUUVI_HUMIDITY_DIVISOR     (400.0)
#define RUUVI_PRESSURE_OFFSET_PA   (50000.0)
#define RUUVI_ACCELERATION_DIVISOR (1000.0)
#define RUUVI_MV_PER_V             (1000.0)
#define RUUVI_BATTERY_OFFSET_MV    (1600.0)
#define RUUVI_TX_POWER_OFFSET_DBM  (-40.0)
#define RUUVI_TX_POWER_STEP_DBM    (2.0)
#define RUUVI_PM_DIVISOR           (10.0)
#define RUUVI_LUMINOSITY_E1_DIVISOR (100.0)
#define RUUVI_LUMINOSITY_6_MAX     (65535.0)
#define RUUVI_LUMINOSITY_6_MAX_CODE (254.0)
#define RUUVI_FORMAT_3_HUMIDITY_DIVISOR (2.0)
#define RUUVI_FORMAT_3_SIGN_BIT    (0x80U)
#define RUUVI_FORMAT_3_WHOLE_MASK  (0x7FU)

#define RUUVI_FLAG_CALIBRATION (0x01U)
#define RUUVI_FLAG_VOC_LSB     (0x40U)
#define RUUVI_FLAG_NOX_LSB     (0x80U)

/* Offsets inside the payloads (data format byte at 0). */
#define RUUVI_F5_POWER      (13U)
#define RUUVI_F5_MOVEMENT   (15U)
#define RUUVI_F5_SEQUENCE   (16U)
#define RUUVI_F5_MAC        (18U)
#define RUUVI_F6_FLAGS      (16U)
#define RUUVI_F6_MAC_SUFFIX (17U)
#define RUUVI_E1_FLAGS      (28U)
#define RUUVI_E1_MAC        (34U)

static const char * const s_err_names[] = {
    "OK",        "EMPTY",      "INVALID_HEX", "MALFORMED_ADVERTISEMENT", "NOT_RUUVI",
    "UNSUPPORTED_FORMAT", "TRUNCATED", "TOO_LONG", "INVALID_MAC", "NULL", "NO_SPACE", "NOT_FOUND",
    "INVALID_SETTING",
};

const char * ruuvi_err_name (ruuvi_err_t err)
{
    const size_t n = sizeof (s_err_names) / sizeof (s_err_names[0]);
    return ( (size_t) err < n) ? s_err_names[err] : "UNKNOWN";
}

size_t ruuvi_format_length (uint8_t data_format)
{
    switch (data_format)
    {
        case RUUVI_FORMAT_3:  return RUUVI_FORMAT_3_LEN;
        case RUUVI_FORMAT_5:  return RUUVI_FORMAT_5_LEN;
        case RUUVI_FORMAT_6:  return RUUVI_FORMAT_6_LEN;
        case RUUVI_FORMAT_E1: return RUUVI_FORMAT_E1_LEN;
        default:              return 0U;
    }
}

static unsigned long u16_at (const uint8_t * p, size_t i)
{
    return ( (unsigned long) p[i] << 8) | (unsigned long) p[i + 1U];
}

static long i16_at (const uint8_t * p, size_t i)
{
    const unsigned long v = u16_at (p, i);
    return (v >= 0x8000UL) ? (long) v - 0x10000L : (long) v;
}

static unsigned long u24_at (const uint8_t * p, size_t i)
{
    return ( (unsigned long) p[i] << 16) | ( (unsigned long) p[i + 1U] << 8) | (unsigned long) p[i + 2U];
}

static bool all_ff (const uint8_t * p, size_t n)
{
    for (size_t i = 0; i < n; i++)
    {
        if (p[i] != 0xFFU)
        {
            return false;
        }
    }
    return true;
}

static double temperature_005 (const uint8_t * p, size_t i)
{
    const long v = i16_at (p, i);
    return (v == RUUVI_NA_I16) ? NAN : (double) v / RUUVI_TEMPERATURE_DIVISOR;
}

static double humidity_0025 (const uint8_t * p, size_t i)
{
    const unsigned long v = u16_at (p, i);
    return (v == RUUVI_NA_U16) ? NAN : (double) v / RUUVI_HUMIDITY_DIVISOR;
}

static double pressure_offset (const uint8_t * p, size_t i)
{
    const unsigned long v = u16_at (p, i);
    return (v == RUUVI_NA_U16) ? NAN : (double) v + RUUVI_PRESSURE_OFFSET_PA;
}

static double u16_scaled (const uint8_t * p, size_t i, double divisor)
{
    const unsigned long v = u16_at (p, i);
    return (v == RUUVI_NA_U16) ? NAN : (double) v / divisor;
}

static double acceleration (const uint8_t * p, size_t i)
{
    const long v = i16_at (p, i);
    return (v == RUUVI_NA_I16) ? NAN : (double) v / RUUVI_ACCELERATION_DIVISOR;
}

/** 9-bit index: high 8 bits in the byte, least significant bit in the flags byte. */
static double u9_index (uint8_t high, uint8_t flags, uint8_t lsb_mask)
{
    const unsigned long v = ( (unsigned long) high << 1) | ( (flags & lsb_mask) ? 1UL : 0UL);
    return (v == RUUVI_NA_U9) ? NAN : (double) v;
}

static double luminosity_code6 (uint8_t code)
{
    if (code == RUUVI_NA_U8)
    {
        return NAN;
    }
    const double delta = log (RUUVI_LUMINOSITY_6_MAX + 1.0) / RUUVI_LUMINOSITY_6_MAX_CODE;
    const double value = exp ( (double) code * delta) - 1.0;
    return round (value * 100.0) / 100.0; /* the spec asks for at most 0.01 precision */
}

static void measurement_clear (ruuvi_measurement_t * p_out)
{
    memset (p_out, 0, sizeof (*p_out));
    p_out->temperature_c = NAN;
    p_out->humidity_rh = NAN;
    p_out->pressure_pa = NAN;
    p_out->acceleration_x_g = NAN;
    p_out->acceleration_y_g = NAN;
    p_out->acceleration_z_g = NAN;
    p_out->battery_v = NAN;
    p_out->tx_power_dbm = NAN;
    p_out->movement_counter = NAN;
    p_out->measurement_sequence = NAN;
    p_out->pm1_ugm3 = NAN;
    p_out->pm25_ugm3 = NAN;
    p_out->pm4_ugm3 = NAN;
    p_out->pm10_ugm3 = NAN;
    p_out->co2_ppm = NAN;
    p_out->voc_index = NAN;
    p_out->nox_index = NAN;
    p_out->luminosity_lux = NAN;
}

static void decode_3 (const uint8_t * p, ruuvi_measurement_t * p_out)
{
    const uint8_t t = p[2];
    const long hundredths = (long) (t & RUUVI_FORMAT_3_WHOLE_MASK) * 100L + (long) p[3];
    p_out->humidity_rh = (double) p[1] / RUUVI_FORMAT_3_HUMIDITY_DIVISOR;
    p_out->temperature_c = (double) ( (t & RUUVI_FORMAT_3_SIGN_BIT) ? -hundredths : hundredths) / 100.0;
    p_out->pressure_pa = (double) u16_at (p, 4) + RUUVI_PRESSURE_OFFSET_PA;
    p_out->acceleration_x_g = (double) i16_at (p, 6) / RUUVI_ACCELERATION_DIVISOR;
    p_out->acceleration_y_g = (double) i16_at (p, 8) / RUUVI_ACCELERATION_DIVISOR;
    p_out->acceleration_z_g = (double) i16_at (p, 10) / RUUVI_ACCELERATION_DIVISOR;
    p_out->battery_v = (double) u16_at (p, 12) / RUUVI_MV_PER_V;
}

static void decode_5 (const uint8_t * p, ruuvi_measurement_t * p_out)
{
    const unsigned long power = u16_at (p, RUUVI_F5_POWER);
    const unsigned long battery = power >> 5;
    const unsigned long tx = power & RUUVI_NA_TX_POWER_5;
    const unsigned long seq = u16_at (p, RUUVI_F5_SEQUENCE);
    p_out->temperature_c = temperature_005 (p, 1);
    p_out->humidity_rh = humidity_0025 (p, 3);
    p_out->pressure_pa = pressure_offset (p, 5);
    p_out->acceleration_x_g = acceleration (p, 7);
    p_out->acceleration_y_g = acceleration (p, 9);
    p_out->acceleration_z_g = acceleration (p, 11);
    p_out->battery_v = (battery == RUUVI_NA_BATTERY_11)
                       ? NAN : ( (double) battery + RUUVI_BATTERY_OFFSET_MV) / RUUVI_MV_PER_V;
    p_out->tx_power_dbm = (tx == RUUVI_NA_TX_POWER_5)
                          ? NAN : RUUVI_TX_POWER_OFFSET_DBM + RUUVI_TX_POWER_STEP_DBM * (double) tx;
    p_out->movement_counter = (p[RUUVI_F5_MOVEMENT] == RUUVI_NA_U8) ? NAN : (double) p[RUUVI_F5_MOVEMENT];
    p_out->measurement_sequence = (seq == RUUVI_NA_U16) ? NAN : (double) seq;
    if (!all_ff (&p[RUUVI_F5_MAC], RUUVI_MAC_LEN))
    {
        p_out->has_mac = true;
        memcpy (p_out->mac, &p[RUUVI_F5_MAC], RUUVI_MAC_LEN);
    }
}

static void decode_6 (const uint8_t * p, ruuvi_measurement_t * p_out)
{
    const uint8_t flags = p[RUUVI_F6_FLAGS];
    const unsigned long co2 = u16_at (p, 9);
    p_out->temperature_c = temperature_005 (p, 1);
    p_out->humidity_rh = humidity_0025 (p, 3);
    p_out->pressure_pa = pressure_offset (p, 5);
    p_out->pm25_ugm3 = u16_scaled (p, 7, RUUVI_PM_DIVISOR);
    p_out->co2_ppm = (co2 == RUUVI_NA_U16) ? NAN : (double) co2;
    p_out->voc_index = u9_index (p[11], flags, RUUVI_FLAG_VOC_LSB);
    p_out->nox_index = u9_index (p[12], flags, RUUVI_FLAG_NOX_LSB);
    p_out->luminosity_lux = luminosity_code6 (p[13]);
    p_out->measurement_sequence = (double) p[15]; /* no "not available" value */
    p_out->calibration_in_progress = (flags & RUUVI_FLAG_CALIBRATION) != 0U;
    if (!all_ff (&p[RUUVI_F6_MAC_SUFFIX], RUUVI_MAC_SUFFIX_LEN))
    {
        p_out->has_mac_suffix = true;
        memcpy (p_out->mac_suffix, &p[RUUVI_F6_MAC_SUFFIX], RUUVI_MAC_SUFFIX_LEN);
    }
}

static void decode_e1 (const uint8_t * p, ruuvi_measurement_t * p_out)
{
    const uint8_t flags = p[RUUVI_E1_FLAGS];
    const unsigned long co2 = u16_at (p, 15);
    const unsigned long lum = u24_at (p, 19);
    const unsigned long seq = u24_at (p, 25);
    p_out->temperature_c = temperature_005 (p, 1);
    p_out->humidity_rh = humidity_0025 (p, 3);
    p_out->pressure_pa = pressure_offset (p, 5);
    p_out->pm1_ugm3 = u16_scaled (p, 7, RUUVI_PM_DIVISOR);
    p_out->pm25_ugm3 = u16_scaled (p, 9, RUUVI_PM_DIVISOR);
    p_out->pm4_ugm3 = u16_scaled (p, 11, RUUVI_PM_DIVISOR);
    p_out->pm10_ugm3 = u16_scaled (p, 13, RUUVI_PM_DIVISOR);
    p_out->co2_ppm = (co2 == RUUVI_NA_U16) ? NAN : (double) co2;
    p_out->voc_index = u9_index (p[17], flags, RUUVI_FLAG_VOC_LSB);
    p_out->nox_index = u9_index (p[18], flags, RUUVI_FLAG_NOX_LSB);
    p_out->luminosity_lux = (lum == RUUVI_NA_U24) ? NAN : (double) lum / RUUVI_LUMINOSITY_E1_DIVISOR;
    p_out->measurement_sequence = (seq == RUUVI_NA_U24) ? NAN : (double) seq;
    p_out->calibration_in_progress = (flags & RUUVI_FLAG_CALIBRATION) != 0U;
    if (!all_ff (&p[RUUVI_E1_MAC], RUUVI_MAC_LEN))
    {
        p_out->has_mac = true;
        memcpy (p_out->mac, &p[RUUVI_E1_MAC], RUUVI_MAC_LEN);
    }
}

ruuvi_err_t ruuvi_find_payload (const uint8_t * adv, size_t adv_len,
                                const uint8_t ** p_payload, size_t * p_len)
{
    if ( (NULL == adv && adv_len > 0U) || NULL == p_payload || NULL == p_len)
    {
        return RUUVI_ERR_NULL;
    }
    if (0U == adv_len)
    {
        return RUUVI_ERR_EMPTY;
    }
    size_t i = 0;
    while (i < adv_len)
    {
        const size_t len = adv[i];
        if (0U == len)
        {
            break; /* the rest is padding */
        }
        if (len > adv_len - i - 1U)
        {
            return RUUVI_ERR_MALFORMED_ADVERTISEMENT;
        }
        const uint8_t type = adv[i + 1U];
        const uint8_t * data = &adv[i + 2U];
        const size_t data_len = len - 1U;
        if (RUUVI_AD_TYPE_MANUFACTURER == type)
        {
            if (data_len < 2U)
            {
                return RUUVI_ERR_MALFORMED_ADVERTISEMENT;
            }
            const unsigned company = (unsigned) data[0] | ( (unsigned) data[1] << 8);
            if (RUUVI_COMPANY_ID == company)
            {
                if (data_len < 3U)
                {
                    return RUUVI_ERR_TRUNCATED;
                }
                *p_payload = &data[2];
                *p_len = data_len - 2U;
                return RUUVI_OK;
            }
        }
        i += 1U + len;
    }
    return RUUVI_ERR_NOT_RUUVI;
}

ruuvi_err_t ruuvi_decode_payload (const uint8_t * payload, size_t len, const uint8_t * p_mac,
                                  ruuvi_measurement_t * p_out)
{
    if ( (NULL == payload && len > 0U) || NULL == p_out)
    {
        return RUUVI_ERR_NULL;
    }
    if (0U == len)
    {
        return RUUVI_ERR_EMPTY;
    }
    const size_t want = ruuvi_format_length (payload[0]);
    if (0U == want)
    {
        return RUUVI_ERR_UNSUPPORTED_FORMAT;
    }
    if (len < want)
    {
        return RUUVI_ERR_TRUNCATED;
    }
    if (len > want)
    {
        return RUUVI_ERR_TOO_LONG;
    }
    measurement_clear (p_out);
    p_out->data_format = payload[0];
    switch (payload[0])
    {
        case RUUVI_FORMAT_3:
            decode_3 (payload, p_out);
            break;
        case RUUVI_FORMAT_5:
            decode_5 (payload, p_out);
            break;
        case RUUVI_FORMAT_6:
            decode_6 (payload, p_out);
            break;
        default:
            decode_e1 (payload, p_out);
            break;
    }
    if (!p_out->has_mac && NULL != p_mac)
    {
        p_out->has_mac = true;
        memcpy (p_out->mac, p_mac, RUUVI_MAC_LEN);
    }
    return RUUVI_OK;
}

ruuvi_err_t ruuvi_decode_advertisement (const uint8_t * adv, size_t len, const uint8_t * p_mac,
                                        ruuvi_measurement_t * p_out)
{
    const uint8_t * payload = NULL;
    size_t payload_len = 0;
    const ruuvi_err_t err = ruuvi_find_payload (adv, len, &payload, &payload_len);
    if (RUUVI_OK != err)
    {
        return err;
    }
    return ruuvi_decode_payload (payload, payload_len, p_mac, p_out);
}

ruuvi_err_t ruuvi_decode_any (const uint8_t * bytes, size_t len, const uint8_t * p_mac,
                              ruuvi_measurement_t * p_out)
{
    if ( (NULL == bytes && len > 0U) || NULL == p_out)
    {
        return RUUVI_ERR_NULL;
    }
    if (0U == len)
    {
        return RUUVI_ERR_EMPTY;
    }
    const size_t want = ruuvi_format_length (bytes[0]);
    if (want > 0U)
    {
        if (len == want)
        {
            return ruuvi_decode_payload (bytes, len, p_mac, p_out);
        }
        /* Maybe an advertisement whose first AD length equals a format byte. */
        if (RUUVI_OK == ruuvi_decode_advertisement (bytes, len, p_mac, p_out))
        {
            return RUUVI_OK;
        }
        return ruuvi_decode_payload (bytes, len, p_mac, p_out);
    }
    if (len >= 2U && RUUVI_COMPANY_ID == ( (unsigned) bytes[0] | ( (unsigned) bytes[1] << 8)))
    {
        if (2U == len)
        {
            return RUUVI_ERR_TRUNCATED;
        }
        return ruuvi_decode_payload (&bytes[2], len - 2U, p_mac, p_out);
    }
    return ruuvi_decode_advertisement (bytes, len, p_mac, p_out);
}
