package org.caselink.client.example;

import java.time.Duration;
import java.util.Arrays;
import java.util.List;
import org.apache.kafka.common.errors.WakeupException;
import org.caselink.client.CaselinkConsumer;
import org.caselink.client.DecodedRecord;
import org.caselink.v1.FilingDecision;

/**
 * Example: prints every caselink event of the given topics, one line each, and the police's
 * filing decisions in detail. Ctrl-C (SIGINT/SIGTERM) stops it cleanly.
 *
 * <pre>java -cp … org.caselink.client.example.ExampleConsumer 127.0.0.1:9092 my-group caselink.decision.v1</pre>
 */
public final class ExampleConsumer {
  private ExampleConsumer() {}

  /** One line per event: where it was read, what it is, which case. */
  public static String describe(DecodedRecord r) {
    String line = r.occurredAt() + " " + r.eventType() + " case=" + r.caseId() + " event=" + r.eventId()
        + " from=" + r.producerAgencyId();
    if (r.payload() instanceof FilingDecision decision) {
      line += " filing=" + decision.getOutcome();
    }
    return line;
  }

  public static void main(String[] args) throws Exception {
    if (args.length < 3) {
      System.err.println("usage: ExampleConsumer <bootstrap> <group-id> <topic>...");
      System.exit(2);
    }
    // Kafka's client logs its whole configuration at INFO; keep the output to the events.
    System.setProperty("org.slf4j.simpleLogger.defaultLogLevel", "warn");
    List<String> topics = Arrays.asList(args).subList(2, args.length);
    try (CaselinkConsumer consumer = new CaselinkConsumer(CaselinkConsumer.settings(args[0], args[1]), topics,
        (record, raw) -> System.out.println(raw.topic() + "[" + raw.partition() + "]@" + raw.offset() + " "
            + describe(record)),
        (raw, error) -> System.err.println("skipped " + raw.topic() + "[" + raw.partition() + "]@" + raw.offset()
            + ": " + error.getMessage()),
        new CaselinkConsumer.MemorySeenEvents(100_000))) {
      Thread main = Thread.currentThread();
      Runtime.getRuntime().addShutdownHook(new Thread(() -> {
        consumer.wakeup();
        try {
          main.join(10_000);
        } catch (InterruptedException e) {
          Thread.currentThread().interrupt();
        }
      }));
      while (true) {
        consumer.pollOnce(Duration.ofSeconds(1));
      }
    } catch (WakeupException stopping) {
      // shutdown requested: the try-with-resources closes the consumer (leaving the group)
    }
  }
}
