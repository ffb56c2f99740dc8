"""GBK byte-shift mojibake is found, repaired when clearly better, and marked otherwise."""

from __future__ import annotations

from sitegen.importer.mojibake import repair

TRADITIONAL = "工會組織開展送溫暖活動，慰問困難職工家庭，發放慰問金和生活用品。"


def shifted(text: str, at: int) -> str:
    """What a decoder that lost one lead byte at `at` shows: '?' then pairs out of step."""
    data = text.encode("gbk")
    start = len(text[:at].encode("gbk"))
    return data[:start].decode("gbk") + "?" + data[start + 1 :].decode("gb18030", "replace")


def test_a_shifted_run_is_realigned_and_the_lost_character_marked(context):
    garbled = shifted("職工書畫攝影展隆重開幕，共展出作品三百餘件", 5)
    assert "展隆重開" not in garbled
    fixed, fixes = repair(garbled, context.model, "hant")
    assert fixed == "職工書畫攝〓展隆重開幕，共展出作品三百餘件"
    assert len(fixes) == 1 and fixes[0].unrecovered == 1


def test_a_pair_gbk_leaves_unassigned_is_read_back_from_its_private_use_character(context):
    garbled = shifted("市總工會召開全委會議。會議聽取了工作報告", 10)
    fixed, _ = repair(garbled, context.model, "hant")
    assert fixed == "市總工會召開全委會議〓會議聽取了工作報告"


def test_clean_traditional_text_is_left_alone(context):
    assert repair(TRADITIONAL, context.model, "hant") == (TRADITIONAL, ())


def test_a_question_mark_after_a_question_word_is_kept(context):
    text = "你們單位有工會嗎?我們有。"
    assert repair(text, context.model, "hant")[0] == text


def test_a_lost_middle_dot_in_a_quoted_slogan_is_restored(context):
    fixed, _ = repair("以“中國夢?勞動美?工會情”為主題", context.model, "hant")
    assert fixed == "以“中國夢·勞動美·工會情”為主題"


def test_a_lone_question_mark_between_chinese_characters_is_marked_as_lost(context):
    fixed, fixes = repair("市總工會?辦公室發布通知", context.model, "hant")
    assert fixed == "市總工會〓辦公室發布通知" and fixes[0].original == "?"


def test_gbk_read_as_latin1_is_read_back_and_latin_words_are_left_alone(context):
    """A GBK string pasted into a UTF-8 page, shown as Latin-1 (快递小哥 -> ¿ìµÝÐ¡¸ç)."""
    model = context.model
    fixed, fixes = repair("今天¿ìµÝÐ¡¸ç送來了包裹，ÖÐ¹ú¹¤»á發來賀信。", model, "hant")
    assert fixed == "今天快递小哥送來了包裹，中国工会發來賀信。"
    assert [f.original for f in fixes] == ["¿ìµÝÐ¡¸ç", "ÖÐ¹ú¹¤»á"]
    for text in ("Café Müller 的展覽", "票價 £100 或 €120", "naïve résumé 一詞"):
        assert repair(text, model, "hant") == (text, ())


def test_a_shifted_gbk_run_in_a_utf8_page_is_repaired_within_its_own_bounds(context):
    """The run's neighbours are sound UTF-8 text, not more of the shift: they stay as they
    are, and the run is read back, each character that lost a byte marked 〓."""
    damaged = "农民工工资支付台账".encode("gbk")[1:].decode("gbk", errors="replace")
    assert damaged == "┟窆すぷ手Ц短ㄕ\ufffd"
    tail = "2015年以来的发放记录，核实工资是否按月足额发放。"
    fixed, fixes = repair(f"逐一查看{damaged}{tail}", context.model, "hans")
    assert fixed == f"逐一查看〓民工工资支付台〓{tail}"  # 农 and 账 each lost a byte
    assert [f.original for f in fixes] == [damaged]
    for sound in ("圓周率π約為3.14，α粒子", "會議通過了①②③項決議", "日本語のひらがな交流活動"):
        assert repair(sound, context.model, "hant") == (sound, ())
