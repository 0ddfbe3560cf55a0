/* Unit tests of the link state machine: start-up, outages, backoff, the short Wi-Fi drop. */
#include "check.h"
#include "ruuvi_link.h"

#include <string.h>

#define INITIAL_MS (1000U)
#define MAX_MS     (8000U)

static ruuvi_link_action_t next (ruuvi_link_t * l, uint64_t now, uint32_t * p_wait)
{
    uint32_t wait = 0;
    const ruuvi_link_action_t a = ruuvi_link_next (l, now, &wait);
    if (NULL != p_wait)
    {
        *p_wait = wait;
    }
    return a;
}

/* Boots to Wi-Fi up and MQTT connected at time 0. */
static void boot (ruuvi_link_t * l)
{
    ruuvi_link_init (l, INITIAL_MS, MAX_MS);
    CHECK (RUUVI_LINK_WAIT == next (l, 0, NULL), "nothing before the station started");
    ruuvi_link_on_wifi_started (l, 0);
    CHECK (RUUVI_LINK_WIFI_CONNECT == next (l, 0, NULL), "connect once started");
    CHECK (RUUVI_LINK_WAIT == next (l, 0, NULL), "then wait for the outcome");
    CHECK (!ruuvi_link_can_publish (l), "not yet");
    ruuvi_link_on_wifi_got_ip (l, 0, true);
    CHECK (RUUVI_LINK_MQTT_START == next (l, 0, NULL), "start MQTT once Wi-Fi is up");
    CHECK (RUUVI_LINK_WAIT == next (l, 0, NULL), "start only once");
    ruuvi_link_on_mqtt_connected (l, 0);
    CHECK (ruuvi_link_can_publish (l), "publishing");
    CHECK (0U == l->wifi_reconnects && 0U == l->mqtt_reconnects, "first connects are not reconnects");
}

static void test_short_wifi_drop_session_survives (void)
{
    ruuvi_link_t l;
    boot (&l);
    uint32_t wait = 0;
    ruuvi_link_on_wifi_disconnected (&l, 10000);
    CHECK (!ruuvi_link_can_publish (&l), "publishing pauses while Wi-Fi is down");
    CHECK (RUUVI_LINK_WAIT == next (&l, 10000, &wait) && INITIAL_MS == wait, "Wi-Fi retry after %u ms", wait);
    CHECK (RUUVI_LINK_WIFI_CONNECT == next (&l, 11000, NULL), "Wi-Fi reconnects");
    ruuvi_link_on_wifi_got_ip (&l, 12000, false);
    /* The TCP session survived: the MQTT client reports nothing and would refuse a reconnect
     * (it is not waiting to reconnect). Nothing is asked of it, and publishing resumes. */
    CHECK (RUUVI_LINK_WAIT == next (&l, 12000, NULL), "no MQTT reconnect while the client reports a session");
    CHECK (ruuvi_link_can_publish (&l), "publishing resumes");
    CHECK (1U == l.wifi_reconnects && 0U == l.mqtt_reconnects, "one Wi-Fi reconnect");
    /* and if it did not survive, the client says so; then it is reconnected */
    ruuvi_link_on_mqtt_disconnected (&l, 50000);
    CHECK (RUUVI_LINK_WAIT == next (&l, 50000, &wait) && INITIAL_MS == wait, "MQTT retry after the backoff");
    CHECK (RUUVI_LINK_MQTT_RECONNECT == next (&l, 51000, NULL), "reconnect");
    ruuvi_link_on_mqtt_connected (&l, 51500);
    CHECK (ruuvi_link_can_publish (&l) && 1U == l.mqtt_reconnects, "back, counted");
}

static void test_address_changed (void)
{
    ruuvi_link_t l;
    boot (&l);
    ruuvi_link_on_wifi_disconnected (&l, 1000);
    CHECK (RUUVI_LINK_WIFI_CONNECT == next (&l, 2000, NULL), "Wi-Fi reconnects");
    ruuvi_link_on_wifi_got_ip (&l, 2500, true);
    CHECK (RUUVI_LINK_MQTT_DISCONNECT == next (&l, 2500, NULL), "a session on the old address is closed");
    CHECK (RUUVI_LINK_WAIT == next (&l, 2500, NULL), "once");
    ruuvi_link_on_mqtt_disconnected (&l, 2600);
    CHECK (RUUVI_LINK_MQTT_RECONNECT == next (&l, 3600, NULL), "then reconnected");
}

static void test_broker_down_backoff (void)
{
    ruuvi_link_t l;
    boot (&l);
    uint64_t now = 0;
    const uint32_t expected[] = { 1000, 2000, 4000, 8000, 8000 };
    for (size_t i = 0; i < sizeof (expected) / sizeof (expected[0]); i++)
    {
        uint32_t wait = 0;
        ruuvi_link_on_mqtt_disconnected (&l, now); /* each failed attempt is reported like this */
        CHECK (RUUVI_LINK_WAIT == next (&l, now, &wait) && expected[i] == wait, "attempt %zu waits %u", i, wait);
        CHECK (RUUVI_LINK_WAIT == next (&l, now + wait - 1U, NULL), "not before");
        now += wait;
        CHECK (RUUVI_LINK_MQTT_RECONNECT == next (&l, now, NULL), "attempt %zu", i);
    }
    ruuvi_link_on_mqtt_connected (&l, now);
    ruuvi_link_on_mqtt_disconnected (&l, now);
    uint32_t wait = 0;
    CHECK (RUUVI_LINK_WAIT == next (&l, now, &wait) && INITIAL_MS == wait, "a success restarts the backoff");
    /* a refused reconnect request is retried after the backoff too */
    CHECK (RUUVI_LINK_MQTT_RECONNECT == next (&l, now + wait, NULL), "reconnect");
    ruuvi_link_on_action_failed (&l, RUUVI_LINK_MQTT_RECONNECT, now + wait);
    CHECK (RUUVI_LINK_WAIT == next (&l, now + wait, &wait) && 2U * INITIAL_MS == wait, "refused: retry later");
}

static void test_mqtt_down_during_wifi_outage (void)
{
    ruuvi_link_t l;
    boot (&l);
    ruuvi_link_on_wifi_disconnected (&l, 0);
    ruuvi_link_on_mqtt_disconnected (&l, 100);
    /* no MQTT reconnect while Wi-Fi is down, however long */
    uint64_t now = 100;
    for (int i = 0; i < 5; i++)
    {
        uint32_t wait = 0;
        const ruuvi_link_action_t a = next (&l, now, &wait);
        CHECK (RUUVI_LINK_WAIT == a || RUUVI_LINK_WIFI_CONNECT == a, "only Wi-Fi work: %s", ruuvi_link_action_name (a));
        if (RUUVI_LINK_WIFI_CONNECT == a)
        {
            ruuvi_link_on_wifi_disconnected (&l, now); /* the attempt fails */
        }
        now += (0U == wait) ? 1U : wait;
    }
    ruuvi_link_on_wifi_got_ip (&l, now, false);
    CHECK (RUUVI_LINK_MQTT_RECONNECT == next (&l, now, NULL), "MQTT reconnects as soon as Wi-Fi is back");
}

static void test_stuck_and_failed_calls (void)
{
    ruuvi_link_t l;
    ruuvi_link_init (&l, INITIAL_MS, MAX_MS);
    ruuvi_link_on_wifi_started (&l, 0);
    CHECK (RUUVI_LINK_WIFI_CONNECT == next (&l, 0, NULL), "connect");
    uint32_t wait = 0;
    CHECK (RUUVI_LINK_WAIT == next (&l, 1, &wait) && RUUVI_LINK_WIFI_CONNECT_TIMEOUT_MS - 1U == wait,
           "wait for the connect's outcome");
    CHECK (RUUVI_LINK_WAIT == next (&l, RUUVI_LINK_WIFI_CONNECT_TIMEOUT_MS - 1U, NULL), "still waiting");
    CHECK (RUUVI_LINK_WAIT == next (&l, RUUVI_LINK_WIFI_CONNECT_TIMEOUT_MS, &wait) && INITIAL_MS == wait,
           "no outcome in time: a failure, retried after the backoff");
    CHECK (RUUVI_LINK_WIFI_CONNECT == next (&l, RUUVI_LINK_WIFI_CONNECT_TIMEOUT_MS + INITIAL_MS, NULL), "retried");
    ruuvi_link_on_action_failed (&l, RUUVI_LINK_WIFI_CONNECT, 70000);
    CHECK (RUUVI_LINK_WAIT == next (&l, 70000, &wait) && 2U * INITIAL_MS == wait, "a failed call backs off");
    CHECK (RUUVI_LINK_WIFI_CONNECT == next (&l, 72000, NULL), "and retries");
    ruuvi_link_on_wifi_got_ip (&l, 72500, false);
    CHECK (RUUVI_LINK_MQTT_START == next (&l, 72500, NULL), "start");
    ruuvi_link_on_action_failed (&l, RUUVI_LINK_MQTT_START, 72500);
    CHECK (RUUVI_LINK_WAIT == next (&l, 72500, &wait) && INITIAL_MS == wait, "a failed start backs off");
    CHECK (RUUVI_LINK_MQTT_START == next (&l, 73500, NULL), "and is tried again");
    ruuvi_link_on_action_failed (&l, RUUVI_LINK_MQTT_DISCONNECT, 72502);
    CHECK (0 == strcmp ("mqtt_reconnect", ruuvi_link_action_name (RUUVI_LINK_MQTT_RECONNECT)), "names");
    CHECK (RUUVI_LINK_WAIT == ruuvi_link_next (NULL, 0, &wait) && !ruuvi_link_can_publish (NULL), "null link");
}

int main (void)
{
    test_short_wifi_drop_session_survives ();
    test_address_changed ();
    test_broker_down_backoff ();
    test_mqtt_down_during_wifi_outage ();
    test_stuck_and_failed_calls ();
    CHECK_DONE ("test_link");
}
