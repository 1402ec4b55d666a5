#include "detail/document.h"

#include <algorithm>
#include <sstream>

#include "ares/analysis/report.h"

namespace ares::analysis::detail {
namespace {

// '|' would end a Markdown table cell.
std::string md_cell(const std::string& s) {
  std::string out;
  for (char c : s) out += c == '|' ? std::string("\\|") : std::string(1, c);
  return out;
}

// Text and attribute values on the page.
std::string esc(const std::string& s) {
  std::string out;
  for (char c : s) {
    switch (c) {
      case '&':
        out += "&amp;";
        break;
      case '<':
        out += "&lt;";
        break;
      case '>':
        out += "&gt;";
        break;
      case '"':
        out += "&quot;";
        break;
      default:
        out += c;
    }
  }
  return out;
}

bool shows(const Block& b, Audience reader) {
  return b.audience == Audience::kBoth || b.audience == reader;
}

struct MarkdownWriter {
  std::ostringstream& os;

  void operator()(const Heading& h) const {
    os << std::string(size_t(std::max(h.level, 1)), '#') << ' ' << h.text << "\n\n";
  }
  void operator()(const Paragraph& p) const { os << p.text << "\n\n"; }
  void operator()(const Notice& n) const { os << "Note: " << n.text << "\n\n"; }
  void operator()(const BulletList& l) const {
    for (const auto& item : l.items) os << "- " << item << "\n";
    os << "\n";
  }
  void operator()(const Table& t) const {
    (*this)(Heading{3, t.title});
    if (!t.note.empty()) (*this)(Paragraph{t.note, ""});
    os << "|";
    for (const auto& h : t.header) os << " " << md_cell(h) << " |";
    // The first column labels the row; the others are numbers, aligned right.
    os << "\n|";
    for (size_t i = 0; i < t.header.size(); ++i) os << (i == 0 ? " --- |" : " ---: |");
    os << "\n";
    for (const auto& r : t.rows) {
      os << "|";
      for (const auto& c : r) os << " " << md_cell(c) << " |";
      os << "\n";
    }
    os << "\n";
  }
  void operator()(const FigureBlock& f) const {
    os << "**" << f.title << ".** " << f.caption << "\n\n";
    if (f.drawn) {
      os << "![" << f.title << "](" << f.file << ".png) ([SVG](" << f.file << ".svg))\n\n";
    } else {
      os << "(figure unavailable)\n\n";
    }
  }
  // Markdown cannot fold a table away: it shows it.
  void operator()(const Details& d) const { (*this)(d.table); }
  void operator()(const RawHtml&) const {}
};

std::string class_attr(const std::string& c) {
  return c.empty() ? std::string() : " class=\"" + esc(c) + "\"";
}

struct HtmlWriter {
  std::ostringstream& os;
  const ReadFile& read;

  void operator()(const Heading& h) const {
    os << "<h" << h.level << ">" << esc(h.text) << "</h" << h.level << ">\n";
  }
  void operator()(const Paragraph& p) const {
    os << "<p" << class_attr(p.html_class) << ">" << esc(p.text) << "</p>\n";
  }
  void operator()(const Notice& n) const { (*this)(Paragraph{n.text, "missing"}); }
  void operator()(const BulletList& l) const {
    os << "<ul" << class_attr(l.html_class) << ">\n";
    for (const auto& item : l.items) os << "<li>" << esc(item) << "</li>\n";
    os << "</ul>\n";
  }
  void operator()(const Table& t) const {
    (*this)(Heading{3, t.title});
    if (!t.note.empty()) (*this)(Paragraph{t.note, "note"});
    // Wide tables scroll sideways instead of widening the page.
    os << "<div class=\"scroll\"><table>\n<thead><tr>";
    for (const auto& h : t.header) os << "<th>" << esc(h) << "</th>";
    os << "</tr></thead>\n<tbody>\n";
    for (const auto& r : t.rows) {
      os << "<tr>";
      for (size_t i = 0; i < r.size(); ++i)
        os << (i ? "<td>" : "<td class=\"l\">") << esc(r[i]) << "</td>";
      os << "</tr>\n";
    }
    os << "</tbody></table></div>\n";
  }
  void operator()(const FigureBlock& f) const {
    os << "<figure id=\"" << esc(f.id) << "\">\n";
    if (f.drawn) {
      // class "figure": the page's load check counts these images.
      os << "<img class=\"figure\" alt=\"" << esc(f.title) << "\" width=\"" << f.width
         << "\" src=\"data:image/svg+xml;base64," << base64(read(f.file + ".svg")) << "\">\n";
    } else {
      os << "<div class=\"missing\">" << esc(f.title) << ": figure unavailable.</div>\n";
    }
    os << "<figcaption><b>" << esc(f.title) << ".</b> " << esc(f.caption) << "</figcaption>\n"
       << "</figure>\n";
  }
  void operator()(const Details& d) const {
    os << "<details><summary>" << esc(d.table.title) << "</summary>\n";
    (*this)(d.table);
    os << "</details>\n";
  }
  void operator()(const RawHtml& r) const { os << r.html; }
};

}  // namespace

std::string render_markdown(const Document& doc) {
  std::ostringstream os;
  MarkdownWriter w{os};
  w(Heading{1, doc.title});
  for (const auto& b : doc.blocks) {
    if (shows(b, Audience::kMarkdown)) std::visit(w, b.content);
  }
  return os.str();
}

std::string render_html(const Document& doc, const ReadFile& read) {
  std::ostringstream os;
  os << "<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n<title>"
     << esc(doc.title) << "</title>\n";
  if (!doc.html_style.empty()) os << "<style>" << doc.html_style << "</style>\n";
  os << "</head>\n<body>\n";
  HtmlWriter w{os, read};
  w(Heading{1, doc.title});
  for (const auto& b : doc.blocks) {
    if (shows(b, Audience::kHtml)) std::visit(w, b.content);
  }
  os << "</body>\n</html>\n";
  return os.str();
}

}  // namespace ares::analysis::detail
