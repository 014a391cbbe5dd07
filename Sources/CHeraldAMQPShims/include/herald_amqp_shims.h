#ifndef HERALD_AMQP_SHIMS_H
#define HERALD_AMQP_SHIMS_H
#include <amqp.h>
#include <amqp_framing.h>
/* amqp_login is variadic (SASL arguments); this fixes it to PLAIN user/password. */
amqp_rpc_reply_t herald_amqp_login_plain(amqp_connection_state_t state, const char *vhost,
                                         int channel_max, int frame_max, int heartbeat,
                                         const amqp_table_t *client_properties,
                                         const char *user, const char *password);
#endif
