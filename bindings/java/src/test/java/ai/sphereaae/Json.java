package ai.sphereaae;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/** Just enough JSON reading for EngineTest (objects, arrays, strings, numbers, literals). */
final class Json {
  private final String text;
  private int at;

  private Json(String text) {
    this.text = text;
  }

  @SuppressWarnings("unchecked")
  static Map<String, Object> object(String text) {
    Json json = new Json(text);
    Object value = json.value();
    json.space();
    if (json.at != text.length()) throw json.error("trailing characters");
    if (!(value instanceof Map)) throw json.error("not an object");
    return (Map<String, Object>) value;
  }

  // Follows keys (String) and indices (Integer); null when a step is missing.
  static Object path(Object value, Object... steps) {
    for (Object step : steps) {
      if (step instanceof String && value instanceof Map) {
        value = ((Map<?, ?>) value).get(step);
      } else if (step instanceof Integer && value instanceof List) {
        List<?> list = (List<?>) value;
        int index = (Integer) step;
        value = index < list.size() ? list.get(index) : null;
      } else {
        return null;
      }
    }
    return value;
  }

  static String quote(String s) {
    StringBuilder out = new StringBuilder("\"");
    for (int i = 0; i < s.length(); i++) {
      char c = s.charAt(i);
      if (c == '"' || c == '\\') {
        out.append('\\').append(c);
      } else if (c < 0x20) {
        out.append(String.format("\\u%04x", (int) c));
      } else {
        out.append(c);
      }
    }
    return out.append('"').toString();
  }

  private IllegalArgumentException error(String what) {
    return new IllegalArgumentException("bad JSON at " + at + ": " + what + " in " + text);
  }

  private void space() {
    while (at < text.length() && Character.isWhitespace(text.charAt(at))) at++;
  }

  private char next() {
    if (at >= text.length()) throw error("unexpected end");
    return text.charAt(at++);
  }

  private void expectChar(char c) {
    space();
    if (next() != c) throw error("expected '" + c + "'");
  }

  private Object value() {
    space();
    if (at >= text.length()) throw error("unexpected end");
    char c = text.charAt(at);
    if (c == '{') {
      at++;
      Map<String, Object> map = new LinkedHashMap<String, Object>();
      space();
      if (text.charAt(at) == '}') {
        at++;
        return map;
      }
      while (true) {
        space();
        if (text.charAt(at) != '"') throw error("expected a key");
        String key = string();
        expectChar(':');
        map.put(key, value());
        space();
        char d = next();
        if (d == '}') return map;
        if (d != ',') throw error("expected ',' or '}'");
      }
    }
    if (c == '[') {
      at++;
      List<Object> list = new ArrayList<Object>();
      space();
      if (text.charAt(at) == ']') {
        at++;
        return list;
      }
      while (true) {
        list.add(value());
        space();
        char d = next();
        if (d == ']') return list;
        if (d != ',') throw error("expected ',' or ']'");
      }
    }
    if (c == '"') return string();
    for (String literal : new String[] {"true", "false", "null"}) {
      if (text.startsWith(literal, at)) {
        at += literal.length();
        return literal.equals("null") ? null : Boolean.valueOf(literal);
      }
    }
    int start = at;
    while (at < text.length() && "+-0123456789.eE".indexOf(text.charAt(at)) >= 0) at++;
    if (start == at) throw error("unexpected '" + c + "'");
    String number = text.substring(start, at);
    if (number.matches("-?\\d+")) return Long.valueOf(number);
    return Double.valueOf(number);
  }

  private String string() {
    at++;  // the opening quote
    StringBuilder out = new StringBuilder();
    while (true) {
      char c = next();
      if (c == '"') return out.toString();
      if (c != '\\') {
        out.append(c);
        continue;
      }
      char e = next();
      switch (e) {
        case 'n': out.append('\n'); break;
        case 't': out.append('\t'); break;
        case 'r': out.append('\r'); break;
        case 'b': out.append('\b'); break;
        case 'f': out.append('\f'); break;
        case 'u':
          if (at + 4 > text.length()) throw error("short \\u escape");
          out.append((char) Integer.parseInt(text.substring(at, at + 4), 16));
          at += 4;
          break;
        default: out.append(e);
      }
    }
  }
}
