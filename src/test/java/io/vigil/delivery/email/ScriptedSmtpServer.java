package io.vigil.delivery.email;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.CopyOnWriteArrayList;

/**
 * A minimal SMTP server on loopback that answers what the test scripts, for the replies
 * GreenMail never gives: a rejected recipient, a server asking to try later, a reply that
 * echoes the login. Every command is answered 250 except RCPT (the scripted reply), DATA
 * (354, then 250 after the final dot), QUIT (221) and, when AUTH is offered, AUTH (235,
 * whatever the credentials). Records the commands it was sent.
 */
final class ScriptedSmtpServer implements AutoCloseable {
  private final ServerSocket server;
  private final String rcptReply;
  private final boolean offerAuth;
  private final List<String> commands = new CopyOnWriteArrayList<>();
  private final List<Socket> clients = new CopyOnWriteArrayList<>();

  ScriptedSmtpServer(String rcptReply) throws IOException {
    this(rcptReply, false);
  }

  ScriptedSmtpServer(String rcptReply, boolean offerAuth) throws IOException {
    this.rcptReply = rcptReply;
    this.offerAuth = offerAuth;
    this.server = new ServerSocket(0, 50, InetAddress.getLoopbackAddress());
    Thread acceptor = new Thread(this::accept, "scripted-smtp");
    acceptor.setDaemon(true);
    acceptor.start();
  }

  int port() {
    return server.getLocalPort();
  }

  List<String> commands() {
    return List.copyOf(commands);
  }

  private void accept() {
    while (!server.isClosed()) {
      try {
        Socket s = server.accept();
        clients.add(s);
        Thread t = new Thread(() -> converse(s), "scripted-smtp-conn");
        t.setDaemon(true);
        t.start();
      } catch (IOException e) {
        return;
      }
    }
  }

  private void converse(Socket s) {
    try (s) {
      BufferedReader in = new BufferedReader(new InputStreamReader(s.getInputStream(), StandardCharsets.US_ASCII));
      OutputStream out = s.getOutputStream();
      reply(out, "220 scripted ESMTP");
      String line;
      while ((line = in.readLine()) != null) {
        commands.add(line);
        String verb = line.split(" ", 2)[0].toUpperCase(Locale.ROOT);
        switch (verb) {
          case "EHLO" -> reply(out, offerAuth ? "250-scripted\r\n250 AUTH PLAIN LOGIN" : "250 scripted");
          case "AUTH" -> reply(out, offerAuth ? "235 2.7.0 accepted" : "502 5.5.1 not offered");
          case "RCPT" -> reply(out, rcptReply);
          case "DATA" -> {
            reply(out, "354 end with <CRLF>.<CRLF>");
            while ((line = in.readLine()) != null && !line.equals(".")) {
              // the message itself is not needed
            }
            reply(out, "250 queued");
          }
          case "QUIT" -> {
            reply(out, "221 bye");
            return;
          }
          default -> reply(out, "250 OK");
        }
      }
    } catch (IOException e) {
      // the client went away
    }
  }

  private static void reply(OutputStream out, String line) throws IOException {
    out.write((line + "\r\n").getBytes(StandardCharsets.US_ASCII));
    out.flush();
  }

  @Override
  public void close() throws IOException {
    server.close();
    for (Socket s : clients) {
      s.close();
    }
  }
}
