#pragma once
// The report as a document: a title and an ordered list of blocks, rendered once as Markdown
// (report.md) and once as HTML (index.html), so that both say the same thing from one source.
// Where the two pages differ on purpose (the HTML shows Figures 1-4 before the summary tables,
// folds the long tables away, embeds the figures, checks that they load), the block says so
// (its Audience, or its kind) rather than a second document being built.

#include <functional>
#include <string>
#include <variant>
#include <vector>

namespace ares::analysis::detail {

/// A table for people: a level-3 heading, an optional note, a header row and rows. The first
/// column labels the row (left-aligned on the page); the others are numbers (right-aligned).
struct Table {
  std::string title;
  std::string note;
  std::vector<std::string> header;
  std::vector<std::vector<std::string>> rows;
};

/// A section heading; the document's title is its one level-1 heading.
struct Heading {
  int level = 2;
  std::string text;
};

/// Text. Markdown gets it as is (it may hold Markdown, e.g. `code`); HTML escapes it.
struct Paragraph {
  std::string text;
  std::string html_class;  ///< the page's style for it ("lead", "note"); "" for none
};

/// What the reader must not miss, e.g. why the figures are missing: "Note: ..." in Markdown,
/// highlighted on the page.
struct Notice {
  std::string text;
};

struct BulletList {
  std::vector<std::string> items;
  std::string html_class;
};

/// A figure drawn as `<file>.png` and `<file>.svg` (paths relative to the page): Markdown links
/// both, HTML embeds the SVG so that the page stands alone.
struct FigureBlock {
  std::string id;    ///< the figure's anchor on the page
  std::string file;  ///< e.g. "figures/fig1_tolerable_ber"
  std::string title;
  std::string caption;
  int width = 900;     ///< display width on the page, in pixels
  bool drawn = false;  ///< false: the files are missing and both pages say so
};

/// A long table the page folds away (<details>, summarised by the table's title); Markdown,
/// which cannot fold, shows the table itself.
struct Details {
  Table table;
};

/// HTML written as is (the page's script); Markdown has no use for it.
struct RawHtml {
  std::string html;
};

using Content =
    std::variant<Heading, Paragraph, Notice, BulletList, Table, FigureBlock, Details, RawHtml>;

/// Which renderings show a block.
enum class Audience { kBoth, kMarkdown, kHtml };

struct Block {
  Content content;
  Audience audience = Audience::kBoth;
};

struct Document {
  std::string title;
  std::string html_style;  ///< CSS for the page's <head>; "" for none
  std::vector<Block> blocks;

  void add(Content content, Audience audience = Audience::kBoth) {
    blocks.push_back({std::move(content), audience});
  }
};

/// The document as Markdown.
std::string render_markdown(const Document& doc);

/// The bytes of a file named relative to the page ("" when unreadable).
using ReadFile = std::function<std::string(const std::string& path)>;

/// The document as one self-contained HTML page: drawn figures' SVGs, fetched with `read`, are
/// embedded as data URIs.
std::string render_html(const Document& doc, const ReadFile& read);

}  // namespace ares::analysis::detail
