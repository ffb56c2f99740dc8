"""Every label readers see, in one place, by language.

Layouts reach these as `site.labels.<name>`; a site picks its language in site.yaml.
zh-Hant is the default because the archives we serve were published in it.
"""

from __future__ import annotations

from types import MappingProxyType
from typing import Final

_ZH_HANT: Final = {
    "home": "首頁",
    "you_are_here": "當前位置",
    "body": "正文",
    "published": "發布日期",
    "source": "來源",
    "editor": "責任編輯",
    "author": "作者",
    "tags": "標籤",
    "print": "打印",
    "close": "關閉",
    "font_size": "字號",
    "font_large": "大",
    "font_medium": "中",
    "font_small": "小",
    "previous_article": "上一篇",
    "next_article": "下一篇",
    "none": "沒有了",
    "previous_page": "上一頁",
    "next_page": "下一頁",
    "page_n": "第 {n} 頁",
    "pages": "分頁",  # the pager's name for screen readers
    "newest_page": "最新",
    "archive": "歸檔",
    "archive_month": "{year}年{month}月",
    "archive_year": "{year}年",
    "more": "更多",
    "latest": "最新文章",
    "categories": "欄目",
    "not_found": "找不到頁面",
    "not_found_text": "您要找的頁面不存在或已移動。",
    "back_home": "返回首頁",
    "search": "搜索",
    "search_placeholder": "搜索文章",
    "search_results": "搜索結果",
    "redirecting": "頁面已移動到",
    "original_url": "本文網址",
    "articles_count": "共 {n} 篇",
    "feed": "訂閱",
    "menu": "欄目導航",
    "skip_to_content": "跳到正文",
    "search_about": "約 {n} 篇",
    "search_none": "沒有找到相關文章。",
    "search_error": "搜索索引無法載入。",
    "search_loading": "正在搜索…",
    "search_all_categories": "全部欄目",
    "search_year": "年份",
    "search_all_years": "全部年份",
    "search_sort": "排序",
    "search_by_date": "按日期",
    "search_by_relevance": "按相關度",
    "search_needs_script": "搜索需要啟用 JavaScript。",
    "attachments": "附件",
    "attachment_of": "{type}，{size}",
    "script_switch": "繁簡轉換",  # the title of the 繁/简 link (sites in two scripts)
}

_ZH_HANS: Final = {
    **_ZH_HANT,
    "you_are_here": "当前位置",
    "published": "发布日期",
    "source": "来源",
    "editor": "责任编辑",
    "author": "作者",
    "tags": "标签",
    "close": "关闭",
    "font_size": "字号",
    "previous_article": "上一篇",
    "next_article": "下一篇",
    "none": "没有了",
    "previous_page": "上一页",
    "next_page": "下一页",
    "page_n": "第 {n} 页",
    "pages": "分页",
    "archive": "归档",
    "latest": "最新文章",
    "categories": "栏目",
    "not_found": "找不到页面",
    "not_found_text": "您要找的页面不存在或已移动。",
    "back_home": "返回首页",
    "search_placeholder": "搜索文章",
    "search_results": "搜索结果",
    "redirecting": "页面已移动到",
    "original_url": "本文网址",
    "articles_count": "共 {n} 篇",
    "feed": "订阅",
    "menu": "栏目导航",
    "skip_to_content": "跳到正文",
    "home": "首页",
    "search_about": "约 {n} 篇",
    "search_none": "没有找到相关文章。",
    "search_error": "搜索索引无法载入。",
    "search_loading": "正在搜索…",
    "search_all_categories": "全部栏目",
    "search_year": "年份",
    "search_all_years": "全部年份",
    "search_sort": "排序",
    "search_by_date": "按日期",
    "search_by_relevance": "按相关度",
    "search_needs_script": "搜索需要启用 JavaScript。",
    "script_switch": "繁简转换",
}

LABELS: Final = MappingProxyType(
    {"zh-Hant": MappingProxyType(_ZH_HANT), "zh-Hans": MappingProxyType(_ZH_HANS)}
)


def labels_for(language: str) -> MappingProxyType[str, str]:
    """Labels for a language tag; unknown tags fall back to zh-Hant (config warns about them)."""
    return LABELS.get(language, LABELS["zh-Hant"])
