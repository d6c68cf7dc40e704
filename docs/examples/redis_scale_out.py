"""The redis store on a Redis Cluster, or behind Sentinels, configured from the
environment. Nothing connects until the first request."""

import os

from satchel import ConfigurationError, SessionManager, SessionSettings, generate_key

os.environ["SESSION_SECRET_KEY"] = generate_key()
os.environ["SESSION_BACKEND"] = "redis"

# A Redis Cluster: any one node; the store learns the others from it.
os.environ["SESSION_REDIS_URL"] = "redis://10.0.0.1:6379"
os.environ["SESSION_REDIS_CLUSTER"] = "true"
refused = ""
try:
    manager = SessionManager(SessionSettings())
except ConfigurationError as error:  # redis-py 7.1 to 8.1: their cluster client is refused
    refused = str(error)
if refused:
    assert "needs redis-py 8.2 or newer" in refused
else:
    assert repr(manager.backend).startswith("RedisStore(cluster,")

# Sentinels: the URL's host names the master's service; its password and database
# are the master's. Every write waits until one replica holds it.
os.environ["SESSION_REDIS_CLUSTER"] = "false"
os.environ["SESSION_REDIS_URL"] = "redis://:master-password@mymaster/0"
os.environ["SESSION_REDIS_SENTINELS"] = "10.0.0.1:26379,10.0.0.2:26379,10.0.0.3:26379"
os.environ["SESSION_REDIS_WAIT_REPLICAS"] = "1"
manager = SessionManager(SessionSettings())
assert repr(manager.backend).startswith("RedisStore(sentinel,")
assert "master-password" not in repr(manager.backend)

# WAIT needs the writes' own connection, which a cluster client does not offer.
os.environ["SESSION_REDIS_CLUSTER"] = "true"
del os.environ["SESSION_REDIS_SENTINELS"]
try:
    SessionSettings()
except ConfigurationError as error:
    message = str(error)
else:
    raise SystemExit("WAIT on a cluster was accepted")
assert "SESSION_REDIS_WAIT_REPLICAS is not available" in message
