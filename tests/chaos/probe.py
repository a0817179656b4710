"""Small broker look-ups for scripts/chaos.sh (its own code path, like checker.py).

  probe.py BOOTSTRAP leader TOPIC PARTITION   node id of the partition's leader
  probe.py BOOTSTRAP end TOPIC                 sum of the topic's high watermarks
"""
import sys

from confluent_kafka import Consumer, TopicPartition

from caselink_client import client_config_from_environment


def main():
    bootstrap, what, topic = sys.argv[1:4]
    # Security as every caselink client takes it (chaos.sh's secured cluster: its super user).
    security = client_config_from_environment()
    c = Consumer({**security, "bootstrap.servers": bootstrap, "group.id": "caselink-chaos-probe", "enable.auto.commit": False})
    try:
        partitions = c.list_topics(topic, timeout=10).topics[topic].partitions
        if what == "leader":
            print(partitions[int(sys.argv[4])].leader)
        else:
            print(sum(c.get_watermark_offsets(TopicPartition(topic, p), timeout=10)[1] for p in partitions))
    finally:
        c.close()


if __name__ == "__main__":
    main()
