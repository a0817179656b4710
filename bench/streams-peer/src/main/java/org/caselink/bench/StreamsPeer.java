package org.caselink.bench;

import java.time.Duration;
import java.util.Properties;
import java.util.concurrent.CountDownLatch;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.common.serialization.Serdes;
import org.apache.kafka.streams.KafkaStreams;
import org.apache.kafka.streams.StreamsBuilder;
import org.apache.kafka.streams.StreamsConfig;

/**
 * The peer caselink-passthrough is measured against: a Kafka Streams application that copies
 * every record of one topic, untouched (key, value, headers, timestamp), to another, with
 * exactly_once_v2 and the commit interval given. One stream thread, as caselink's loop has one
 * consumer. Runs until SIGTERM, then closes (commits) and exits.
 *
 * Arguments: BOOTSTRAP APPLICATION_ID IN_TOPIC OUT_TOPIC COMMIT_INTERVAL_MS STATE_DIR
 */
public final class StreamsPeer {
  private StreamsPeer() {}

  public static void main(String[] args) throws InterruptedException {
    if (args.length != 6) {
      System.err.println(
          "usage: StreamsPeer BOOTSTRAP APPLICATION_ID IN_TOPIC OUT_TOPIC COMMIT_INTERVAL_MS STATE_DIR");
      System.exit(2);
    }
    Properties props = new Properties();
    props.put(StreamsConfig.BOOTSTRAP_SERVERS_CONFIG, args[0]);
    props.put(StreamsConfig.APPLICATION_ID_CONFIG, args[1]);
    props.put(StreamsConfig.PROCESSING_GUARANTEE_CONFIG, StreamsConfig.EXACTLY_ONCE_V2);
    props.put(StreamsConfig.COMMIT_INTERVAL_MS_CONFIG, Integer.parseInt(args[4]));
    props.put(StreamsConfig.STATE_DIR_CONFIG, args[5]);
    props.put(StreamsConfig.NUM_STREAM_THREADS_CONFIG, 1);
    props.put(StreamsConfig.DEFAULT_KEY_SERDE_CLASS_CONFIG, Serdes.ByteArraySerde.class);
    props.put(StreamsConfig.DEFAULT_VALUE_SERDE_CLASS_CONFIG, Serdes.ByteArraySerde.class);
    props.put(StreamsConfig.consumerPrefix(ConsumerConfig.AUTO_OFFSET_RESET_CONFIG), "earliest");

    StreamsBuilder builder = new StreamsBuilder();
    builder.<byte[], byte[]>stream(args[2]).to(args[3]);
    KafkaStreams streams = new KafkaStreams(builder.build(), props);
    CountDownLatch closed = new CountDownLatch(1);
    Runtime.getRuntime().addShutdownHook(new Thread(() -> {
      streams.close(Duration.ofSeconds(30));
      closed.countDown();
    }));
    streams.start();
    closed.await();
  }
}
