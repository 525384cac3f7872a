<?xml version="1.0" encoding="utf-8"?>
<!DOCTYPE TS>
<TS version="2.1" language="zh_CN">
<context>
    <name>AboutDialog</name>
    <message>
        <location filename="../qt/common/about_dialog.py" line="39"/>
        <source>About LocalSight</source>
        <translation>关于 LocalSight</translation>
    </message>
    <message>
        <location filename="../qt/common/about_dialog.py" line="44"/>
        <source>&lt;b&gt;LocalSight&lt;/b&gt; — chat with vision-language models, fully offline.&lt;br&gt;If something goes wrong, copy this into your bug report:</source>
        <translation>&lt;b&gt;LocalSight&lt;/b&gt; — 与视觉语言模型对话，完全离线。&lt;br&gt;如果遇到问题，请把以下内容复制到错误报告中：</translation>
    </message>
    <message>
        <location filename="../qt/common/about_dialog.py" line="50"/>
        <source>Checking this computer…</source>
        <translation>正在检查这台电脑…</translation>
    </message>
    <message>
        <location filename="../qt/common/about_dialog.py" line="54"/>
        <source>Diagnostics</source>
        <translation>诊断信息</translation>
    </message>
    <message>
        <location filename="../qt/common/about_dialog.py" line="57"/>
        <source>Copy</source>
        <translation>复制</translation>
    </message>
    <message>
        <location filename="../qt/common/about_dialog.py" line="67"/>
        <source>Could not collect the details: {error}</source>
        <translation>无法收集详细信息：{error}</translation>
    </message>
    <message>
        <location filename="../qt/common/about_dialog.py" line="77"/>
        <source>Copied</source>
        <translation>已复制</translation>
    </message>
</context>
<context>
    <name>Catalog</name>
    <message>
        <location filename="../qt/models/catalog_text.py" line="24"/>
        <source>Raspberry Pi 5 and 4 GB machines: fast captions and simple questions.</source>
        <extracomment>``CatalogEntry.good_for`` by entry id, as the shipped catalog has them.</extracomment>
        <translation>树莓派 5 和 4 GB 内存的电脑：快速生成图片说明，回答简单问题。</translation>
    </message>
    <message>
        <location filename="../qt/models/catalog_text.py" line="27"/>
        <source>8 GB laptops when speed matters more than detail.</source>
        <translation>8 GB 内存的笔记本：速度比细节更重要时选它。</translation>
    </message>
    <message>
        <location filename="../qt/models/catalog_text.py" line="30"/>
        <source>8 GB laptops: the best answers of the list that still fit.</source>
        <translation>8 GB 内存的笔记本：放得下的模型中回答最好的一个。</translation>
    </message>
    <message>
        <location filename="../qt/models/catalog_text.py" line="33"/>
        <source>Reading text in images (OCR, documents, screenshots); not for commercial use.</source>
        <translation>识别图片中的文字（OCR、文档、截图）；不可商用。</translation>
    </message>
    <message>
        <location filename="../qt/models/catalog_text.py" line="37"/>
        <source>8 GB laptops and the Pi 5: reading screenshots and documents, Chinese and English.</source>
        <translation>8 GB 内存的笔记本和树莓派 5：识读截图和文档，中英文皆可。</translation>
    </message>
    <message>
        <location filename="../qt/models/catalog_text.py" line="41"/>
        <source>Raspberry Pi 4 and 5: quick captions; a hybrid convolution model built for small devices.</source>
        <translation>树莓派 4 和 5：快速生成图片说明；专为小型设备打造的混合卷积模型。</translation>
    </message>
    <message>
        <location filename="../qt/models/catalog_text.py" line="45"/>
        <source>8 GB laptops: Google&apos;s newest small model, better answers than Gemma 3 4B at a similar speed.</source>
        <translation>8 GB 内存的笔记本：谷歌最新的小模型，速度与 Gemma 3 4B 相近，回答更好。</translation>
    </message>
    <message>
        <location filename="../qt/models/catalog_text.py" line="50"/>
        <source>Short, literal descriptions; F16 weights, so larger than its 1.9B parameters suggest.</source>
        <translation>描述简短、直白；F16 权重，因此文件比 1.9B 参数量看上去的要大。</translation>
    </message>
    <message>
        <location filename="../qt/models/catalog_text.py" line="54"/>
        <source>The classic; 16 GB machines. Newer small models usually answer better.</source>
        <translation>经典之作，适合 16 GB 内存的电脑。较新的小模型通常回答得更好。</translation>
    </message>
    <message>
        <location filename="../qt/models/catalog_text.py" line="71"/>
        <source>The GGUF carries its own chat template (User:/Assistant: with &lt;end_of_utterance&gt;); images are cut into 512 px tiles, so more pixels mean more tokens.</source>
        <extracomment>``CatalogEntry.chat_format`` by entry id, as the shipped catalog has them. The template tokens (``&lt;end_of_turn&gt;``, ``&lt;|im_start|&gt;``) are what the model reads: a translation keeps them as they are.</extracomment>
        <translation>GGUF 自带对话模板（User:/Assistant:，以 &lt;end_of_utterance&gt; 结尾）；图片会被切成 512 px 的图块，像素越多，token 越多。</translation>
    </message>
    <message>
        <location filename="../qt/models/catalog_text.py" line="76"/>
        <source>The GGUF carries its own chat template (User:/Assistant: with &lt;end_of_utterance&gt;); 384 px SigLIP tiles.</source>
        <translation>GGUF 自带对话模板（User:/Assistant:，以 &lt;end_of_utterance&gt; 结尾）；SigLIP 图块为 384 px。</translation>
    </message>
    <message>
        <location filename="../qt/models/catalog_text.py" line="81"/>
        <source>Gemma turns (&lt;start_of_turn&gt;user … &lt;end_of_turn&gt;) from the GGUF&apos;s template; a system prompt is folded into the first user turn. Every image is resized to 896×896 and costs 256 tokens.</source>
        <translation>使用 GGUF 模板中的 Gemma 对话轮次（&lt;start_of_turn&gt;user … &lt;end_of_turn&gt;）；系统提示词会并入第一条用户消息。每张图片都会缩放到 896×896，占用 256 个 token。</translation>
    </message>
    <message>
        <location filename="../qt/models/catalog_text.py" line="87"/>
        <source>ChatML (&lt;|im_start|&gt;) from the GGUF&apos;s template. Dynamic resolution: one token per 28×28 pixels, so a 1024 px image costs about 1000 tokens; keep images small on CPU, raise the long edge for documents.</source>
        <translation>使用 GGUF 模板中的 ChatML（&lt;|im_start|&gt;）。动态分辨率：每 28×28 像素一个 token，一张 1024 px 的图片约占 1000 个 token；在 CPU 上请用小图片，识别文档时可调大长边。</translation>
    </message>
    <message>
        <location filename="../qt/models/catalog_text.py" line="93"/>
        <source>ChatML (&lt;|im_start|&gt;) from the GGUF&apos;s template. Dynamic resolution: one token per 32×32 pixels (an 800×600 photo: 475), so keep images small on CPU; strong on text in images and on Chinese.</source>
        <translation>使用 GGUF 模板中的 ChatML（&lt;|im_start|&gt;）。动态分辨率：每 32×32 像素一个 token（一张 800×600 的照片约 475 个），在 CPU 上请用小图片；擅长识别图片中的文字，中文表现好。</translation>
    </message>
    <message>
        <location filename="../qt/models/catalog_text.py" line="99"/>
        <source>ChatML-like (&lt;|im_start|&gt;) after &lt;|startoftext|&gt;, from the GGUF&apos;s template. An image that fits 256 tokens (an 800×600 photo: 234) is read whole; bigger ones are cut into 512 px tiles plus a thumbnail (1024×768: 7 pieces, 1800 tokens).</source>
        <translation>使用 GGUF 模板中类似 ChatML 的格式（&lt;|startoftext|&gt; 之后接 &lt;|im_start|&gt;）。不超过 256 个 token 的图片（一张 800×600 的照片约 234 个）整张读取；更大的图片会被切成 512 px 的图块，另加一张缩略图（1024×768：7 块，1800 个 token）。</translation>
    </message>
    <message>
        <location filename="../qt/models/catalog_text.py" line="105"/>
        <source>Gemma 4 turns (&lt;|turn&gt;user … &lt;turn|&gt;) from the GGUF&apos;s template, thinking off. Images keep their shape: 70 to 1120 tokens (an 800×600 photo: 221). Per-layer embeddings make the file larger than its 2B effective parameters suggest.</source>
        <translation>使用 GGUF 模板中的 Gemma 4 对话轮次（&lt;|turn&gt;user … &lt;turn|&gt;），不启用思考模式。图片保持原有比例：70 到 1120 个 token（一张 800×600 的照片约 221 个）。由于采用逐层嵌入，文件比仅按 2B 有效参数量估计的要大。</translation>
    </message>
    <message>
        <location filename="../qt/models/catalog_text.py" line="111"/>
        <source>Vicuna-style template in this conversion; moondream answers short questions best (&quot;Describe the image.&quot;, &quot;What does the sign say?&quot;). 378 px SigLIP crops.</source>
        <translation>此转换版本使用 Vicuna 风格的模板；moondream 最擅长回答简短的问题（如“描述这张图片。”“牌子上写着什么？”）。SigLIP 裁剪块为 378 px。</translation>
    </message>
    <message>
        <location filename="../qt/models/catalog_text.py" line="116"/>
        <source>An early conversion without a chat template: LocalSight uses the LLaVA 1.5 format (USER: &lt;image&gt;\n… ASSISTANT:). The encoder sees 336×336 (576 tokens) whatever the input size.</source>
        <translation>早期转换版本，没有对话模板：LocalSight 使用 LLaVA 1.5 格式（USER: &lt;image&gt;\n… ASSISTANT:）。无论输入多大，编码器看到的都是 336×336（576 个 token）。</translation>
    </message>
</context>
<context>
    <name>ChatTools</name>
    <message>
        <location filename="../qt/chat/chat_tools.py" line="51"/>
        <source>Describe for alt text</source>
        <extracomment>The meter&apos;s width: room for &quot;≈ 12.3k / 128k&quot; without pushing the buttons around. The least a title box shows: issue 17 found the rename box too narrow for a title.</extracomment>
        <translation>生成替代文本</translation>
    </message>
    <message>
        <location filename="../qt/chat/chat_tools.py" line="52"/>
        <source>Read the text in this image</source>
        <translation>识别图中文字</translation>
    </message>
    <message>
        <location filename="../qt/chat/chat_tools.py" line="53"/>
        <source>Translate to 中文</source>
        <translation>翻译成中文</translation>
    </message>
    <message>
        <location filename="../qt/chat/chat_tools.py" line="62"/>
        <source>Write alt text for this image.</source>
        <translation>为这张图片写替代文字。</translation>
    </message>
    <message>
        <location filename="../qt/chat/chat_tools.py" line="63"/>
        <source>Read the text in this image.</source>
        <translation>读出这张图片中的文字。</translation>
    </message>
    <message>
        <location filename="../qt/chat/chat_tools.py" line="122"/>
        <source>Context: about {used} of {size} tokens</source>
        <translation>上下文：约 {used} / {size} token</translation>
    </message>
    <message>
        <location filename="../qt/chat/chat_tools.py" line="142"/>
        <source>Chat settings…</source>
        <translation>对话设置…</translation>
    </message>
    <message>
        <location filename="../qt/chat/chat_tools.py" line="144"/>
        <source>This chat&apos;s system prompt, temperature, context size and answer length</source>
        <translation>此对话的系统提示词、温度、上下文长度和回答长度</translation>
    </message>
    <message>
        <location filename="../qt/chat/chat_tools.py" line="146"/>
        <location filename="../qt/chat/chat_tools.py" line="221"/>
        <source>Chat settings</source>
        <translation>对话设置</translation>
    </message>
    <message>
        <location filename="../qt/chat/chat_tools.py" line="152"/>
        <location filename="../qt/chat/chat_tools.py" line="154"/>
        <source>Presets</source>
        <translation>预设</translation>
    </message>
    <message>
        <location filename="../qt/chat/chat_tools.py" line="153"/>
        <source>Give this chat a preset&apos;s instructions and settings</source>
        <translation>将预设的指令和设置应用到此对话</translation>
    </message>
    <message>
        <location filename="../qt/chat/chat_tools.py" line="182"/>
        <source>Save this chat&apos;s settings as a preset…</source>
        <translation>将此对话的设置保存为预设…</translation>
    </message>
    <message>
        <location filename="../qt/chat/chat_tools.py" line="186"/>
        <source>Rename or delete a preset</source>
        <translation>重命名或删除预设</translation>
    </message>
    <message>
        <location filename="../qt/chat/chat_tools.py" line="191"/>
        <source>Rename “{name}”…</source>
        <translation>重命名“{name}”…</translation>
    </message>
    <message>
        <location filename="../qt/chat/chat_tools.py" line="195"/>
        <source>Delete “{name}”…</source>
        <translation>删除“{name}”…</translation>
    </message>
    <message>
        <location filename="../qt/chat/chat_tools.py" line="236"/>
        <source>No system prompt</source>
        <translation>无系统提示词</translation>
    </message>
    <message>
        <location filename="../qt/chat/chat_tools.py" line="237"/>
        <source>Instructions the model reads before this chat</source>
        <translation>模型在此对话开始前读取的指令</translation>
    </message>
    <message>
        <location filename="../qt/chat/chat_tools.py" line="238"/>
        <source>System prompt</source>
        <translation>系统提示词</translation>
    </message>
    <message>
        <location filename="../qt/chat/chat_tools.py" line="244"/>
        <source>0 gives the same answer every time; higher is more varied.</source>
        <translation>为 0 时每次回答相同；越高回答越多样。</translation>
    </message>
    <message>
        <location filename="../qt/chat/chat_tools.py" line="246"/>
        <source>Temperature</source>
        <translation>温度</translation>
    </message>
    <message>
        <location filename="../qt/chat/chat_tools.py" line="252"/>
        <source>How much of the conversation the model keeps in mind. More uses more memory.</source>
        <translation>模型能记住多少对话内容。越大占用内存越多。</translation>
    </message>
    <message>
        <location filename="../qt/chat/chat_tools.py" line="254"/>
        <source>Context size (tokens)</source>
        <translation>上下文长度（token）</translation>
    </message>
    <message>
        <location filename="../qt/chat/chat_tools.py" line="258"/>
        <source>Answers stop after this many tokens.</source>
        <translation>回答达到此 token 数后停止。</translation>
    </message>
    <message>
        <location filename="../qt/chat/chat_tools.py" line="259"/>
        <source>Longest answer (tokens)</source>
        <translation>最长回答（token）</translation>
    </message>
    <message>
        <location filename="../qt/chat/chat_tools.py" line="264"/>
        <source>Use the defaults</source>
        <translation>使用默认设置</translation>
    </message>
    <message>
        <location filename="../qt/chat/chat_tools.py" line="266"/>
        <source>Follow the settings in Settings… (Ctrl+,), also when they change</source>
        <translation>跟随“设置…”（Ctrl+,）中的设置，包括之后的更改</translation>
    </message>
    <message>
        <location filename="../qt/chat/chat_tools.py" line="307"/>
        <source>This chat follows the defaults in Settings….</source>
        <translation>此对话使用“设置…”中的默认设置。</translation>
    </message>
    <message>
        <location filename="../qt/chat/chat_tools.py" line="309"/>
        <source>These settings are this chat&apos;s own.</source>
        <translation>这些设置仅用于此对话。</translation>
    </message>
    <message>
        <location filename="../qt/controllers/chat_tools.py" line="51"/>
        <source>Markdown with images (*.md)</source>
        <translation>带图片的 Markdown (*.md)</translation>
    </message>
    <message>
        <location filename="../qt/controllers/chat_tools.py" line="52"/>
        <source>JSON (*.json)</source>
        <translation>JSON 文件 (*.json)</translation>
    </message>
    <message>
        <location filename="../qt/controllers/chat_tools.py" line="125"/>
        <source>This chat&apos;s own settings (temperature {t})</source>
        <translation>此对话的专属设置（温度 {t}）</translation>
    </message>
    <message>
        <location filename="../qt/controllers/chat_tools.py" line="136"/>
        <source>About {used} of the {size} tokens of context this chat gets are in use: the system prompt, every message and each image (estimated from the text, about 4 characters a token and 256 per image; the model&apos;s own count differs a little).</source>
        <translation>此对话的 {size} token 上下文中已用约 {used}：包括系统提示词、所有消息和每张图片（按文本估算：约 4 个字符算 1 个 token，每张图片 256 个；模型自己的计数会略有不同）。</translation>
    </message>
    <message>
        <location filename="../qt/controllers/chat_tools.py" line="144"/>
        <source>Each answer needs room too (up to {limit} tokens, this chat&apos;s longest answer).</source>
        <translation>每次回答也需要空间（最多 {limit} token，即此对话最长的回答）。</translation>
    </message>
    <message>
        <location filename="../qt/controllers/chat_tools.py" line="151"/>
        <source>When it is full, Ollama leaves the oldest messages out of what the model reads (the chat keeps them): the model forgets how the chat began.</source>
        <translation>上下文满后，Ollama 会让模型不再读取最早的消息（对话中仍保留）：模型会忘记对话的开头。</translation>
    </message>
    <message>
        <location filename="../qt/controllers/chat_tools.py" line="158"/>
        <source>When it is full, the server decides: most refuse the message with an error saying the conversation is longer than the model&apos;s context.</source>
        <translation>上下文满后，由服务器决定：多数服务器会拒绝该消息，并报错说对话超出了模型的上下文。</translation>
    </message>
    <message>
        <location filename="../qt/controllers/chat_tools.py" line="165"/>
        <source>When it is full, nothing is left out on its own: a message that no longer fits is not answered (the answer fails: “The conversation is longer than the model&apos;s context window”), and an answer that reaches the end stops there, as at the length limit. Start a new chat, remove images, or raise the context size in Chat settings….</source>
        <translation>上下文满后不会自动丢弃任何内容：放不下的消息不会得到回答（回答失败：“对话长度超出了模型的上下文窗口”），回答写到上限时会像达到长度限制一样停止。请新建对话、移除图片，或在“对话设置…”中调大上下文长度。</translation>
    </message>
    <message>
        <location filename="../qt/controllers/chat_tools.py" line="196"/>
        <source>This chat follows the default settings again.</source>
        <translation>此对话已恢复使用默认设置。</translation>
    </message>
    <message>
        <location filename="../qt/controllers/chat_tools.py" line="198"/>
        <source>This chat&apos;s settings are saved.</source>
        <translation>此对话的设置已保存。</translation>
    </message>
    <message>
        <location filename="../qt/controllers/chat_tools.py" line="230"/>
        <source>Preset “{name}” is this chat&apos;s now.</source>
        <translation>已将预设“{name}”应用到此对话。</translation>
    </message>
    <message>
        <location filename="../qt/controllers/chat_tools.py" line="236"/>
        <location filename="../qt/controllers/chat_tools.py" line="246"/>
        <source>Save as a preset</source>
        <translation>保存为预设</translation>
    </message>
    <message>
        <location filename="../qt/controllers/chat_tools.py" line="236"/>
        <location filename="../qt/controllers/chat_tools.py" line="256"/>
        <source>Name of the preset:</source>
        <translation>预设名称：</translation>
    </message>
    <message>
        <location filename="../qt/controllers/chat_tools.py" line="249"/>
        <source>Preset “{name}” saved.</source>
        <translation>预设“{name}”已保存。</translation>
    </message>
    <message>
        <location filename="../qt/controllers/chat_tools.py" line="256"/>
        <location filename="../qt/controllers/chat_tools.py" line="263"/>
        <source>Rename preset</source>
        <translation>重命名预设</translation>
    </message>
    <message>
        <location filename="../qt/controllers/chat_tools.py" line="273"/>
        <location filename="../qt/controllers/chat_tools.py" line="283"/>
        <source>Delete preset</source>
        <translation>删除预设</translation>
    </message>
    <message>
        <location filename="../qt/controllers/chat_tools.py" line="275"/>
        <source>Delete the preset “{name}”? Chats that use it keep their settings.</source>
        <translation>删除预设“{name}”？使用它的对话会保留各自的设置。</translation>
    </message>
    <message>
        <location filename="../qt/controllers/chat_tools.py" line="301"/>
        <source>Open a chat to export it.</source>
        <translation>请先打开要导出的对话。</translation>
    </message>
    <message>
        <location filename="../qt/controllers/chat_tools.py" line="311"/>
        <location filename="../qt/controllers/chat_tools.py" line="344"/>
        <source>Export chat</source>
        <translation>导出对话</translation>
    </message>
    <message>
        <location filename="../qt/controllers/chat_tools.py" line="335"/>
        <source>Exporting…</source>
        <translation>正在导出…</translation>
    </message>
    <message>
        <location filename="../qt/controllers/chat_tools.py" line="340"/>
        <source>Exported to {path}</source>
        <translation>已导出到 {path}</translation>
    </message>
    <message>
        <location filename="../qt/controllers/chat_tools.py" line="342"/>
        <source>Not exported</source>
        <translation>未导出</translation>
    </message>
    <message>
        <location filename="../qt/controllers/chat_tools.py" line="344"/>
        <source>The chat was not exported: {error}</source>
        <translation>对话未导出：{error}</translation>
    </message>
    <message>
        <location filename="../qt/controllers/chat_tools.py" line="349"/>
        <location filename="../qt/controllers/chat_tools.py" line="374"/>
        <source>Import chat</source>
        <translation>导入对话</translation>
    </message>
    <message>
        <location filename="../qt/controllers/chat_tools.py" line="367"/>
        <source>Importing…</source>
        <translation>正在导入…</translation>
    </message>
    <message>
        <location filename="../qt/controllers/chat_tools.py" line="372"/>
        <source>Nothing was imported</source>
        <translation>未导入任何内容</translation>
    </message>
    <message>
        <location filename="../qt/controllers/chat_tools.py" line="374"/>
        <source>Nothing was imported. {reason}</source>
        <translation>未导入任何内容。{reason}</translation>
    </message>
    <message numerus="yes">
        <location filename="../qt/controllers/chat_tools.py" line="379"/>
        <source>%n chat(s) imported.</source>
        <translation>
            <numerusform>已导入 %n 个对话。</numerusform>
        </translation>
    </message>
</context>
<context>
    <name>ChatView</name>
    <message>
        <location filename="../qt/chat/chat_view.py" line="39"/>
        <source>Describe this image in detail.</source>
        <translation>详细描述这张图片。</translation>
    </message>
    <message>
        <location filename="../qt/chat/chat_view.py" line="40"/>
        <source>What text is in this screenshot?</source>
        <translation>这张截图里有哪些文字？</translation>
    </message>
    <message>
        <location filename="../qt/chat/chat_view.py" line="41"/>
        <source>Write a short alt text for this photo.</source>
        <translation>为这张照片写一段简短的替代文本。</translation>
    </message>
    <message>
        <location filename="../qt/chat/chat_view.py" line="44"/>
        <source>Explain how vaccines work, in simple words.</source>
        <translation>用通俗的话解释疫苗的原理。</translation>
    </message>
    <message>
        <location filename="../qt/chat/chat_view.py" line="45"/>
        <source>Summarize the text I paste next in three points.</source>
        <translation>把我接下来粘贴的文字总结成三点。</translation>
    </message>
    <message>
        <location filename="../qt/chat/chat_view.py" line="46"/>
        <source>Write a friendly email asking to move a meeting.</source>
        <translation>写一封友好的邮件，请求改期开会。</translation>
    </message>
    <message>
        <location filename="../qt/chat/chat_view.py" line="60"/>
        <source>What would you like to look at?</source>
        <translation>想看看什么？</translation>
    </message>
    <message>
        <location filename="../qt/chat/chat_view.py" line="70"/>
        <source>Drop images here or paste with Ctrl+V — or just type.</source>
        <translation>将图片拖到这里或按 Ctrl+V 粘贴，也可以直接输入。</translation>
    </message>
    <message>
        <location filename="../qt/chat/chat_view.py" line="80"/>
        <source>Put this prompt in the message box</source>
        <translation>将此提示词填入输入框</translation>
    </message>
    <message>
        <location filename="../qt/chat/chat_view.py" line="96"/>
        <source>No model selected yet.</source>
        <translation>尚未选择模型。</translation>
    </message>
    <message>
        <location filename="../qt/chat/chat_view.py" line="98"/>
        <source>Model: {name} — can see images</source>
        <translation>模型：{name} — 可识别图片</translation>
    </message>
    <message>
        <location filename="../qt/chat/chat_view.py" line="101"/>
        <source>Model: {name} — text only: pick a vision model to ask about images</source>
        <translation>模型：{name} — 仅文本：如需询问图片，请选择视觉模型</translation>
    </message>
    <message>
        <location filename="../qt/chat/chat_view.py" line="150"/>
        <source>Conversation</source>
        <extracomment>Messages built when a chat opens (its end) and around a revealed message. Messages built at a time when the person scrolls near an edge of the window. How long a revealed message stays highlighted.</extracomment>
        <translation>对话内容</translation>
    </message>
    <message>
        <location filename="../qt/chat/chat_view.py" line="184"/>
        <source>↓ Jump to latest</source>
        <extracomment>The built widgets, in message order: rows ``_start`` … ``_start + len(widgets) - 1``.</extracomment>
        <translation>↓ 跳到最新</translation>
    </message>
    <message>
        <location filename="../qt/chat/chat_view.py" line="186"/>
        <source>Scroll to the newest message (End)</source>
        <translation>滚动到最新消息（End）</translation>
    </message>
</context>
<context>
    <name>CommandLine</name>
    <message>
        <location filename="../cli/app.py" line="39"/>
        <source>Chat with vision-language models, fully offline. Without a command, opens the window.</source>
        <translation>与视觉语言模型对话，完全离线。不带命令时打开窗口。</translation>
    </message>
    <message>
        <location filename="../cli/app.py" line="49"/>
        <source>what a bug report needs: llama.cpp build, CPU variant and why, memory, Qt</source>
        <translation>报告问题所需的信息：llama.cpp 构建版本、CPU 变体及选用原因、内存、Qt</translation>
    </message>
    <message>
        <location filename="../cli/app.py" line="51"/>
        <source>one JSON object instead of text</source>
        <translation>输出一个 JSON 对象而不是文本</translation>
    </message>
    <message>
        <location filename="../cli/app.py" line="105"/>
        <location filename="../cli/ask.py" line="120"/>
        <location filename="../cli/history.py" line="127"/>
        <source>localsight: stopped.</source>
        <translation>localsight：已停止。</translation>
    </message>
    <message>
        <location filename="../cli/app.py" line="108"/>
        <location filename="../cli/app.py" line="114"/>
        <source>localsight: error: {error}</source>
        <translation>localsight：错误：{error}</translation>
    </message>
    <message>
        <location filename="../cli/app.py" line="118"/>
        <source>localsight: unexpected error: {name}: {error}</source>
        <translation>localsight：意外错误：{name}：{error}</translation>
    </message>
    <message>
        <location filename="../cli/ask.py" line="44"/>
        <source>ask one question, print the answer as it streams</source>
        <translation>提一个问题，边生成边输出回答</translation>
    </message>
    <message>
        <location filename="../cli/ask.py" line="45"/>
        <source>the question</source>
        <translation>问题</translation>
    </message>
    <message>
        <location filename="../cli/ask.py" line="53"/>
        <source>attach an image (repeat)</source>
        <translation>附加图片（可重复）</translation>
    </message>
    <message>
        <location filename="../cli/ask.py" line="55"/>
        <source>a system prompt</source>
        <translation>系统提示词</translation>
    </message>
    <message>
        <location filename="../cli/ask.py" line="60"/>
        <source>print timings as JSON on the last line of stderr</source>
        <translation>在 stderr 的最后一行以 JSON 输出耗时</translation>
    </message>
    <message>
        <location filename="../cli/ask.py" line="65"/>
        <source>record the exchange as a new saved conversation</source>
        <translation>把这次问答保存为新对话</translation>
    </message>
    <message>
        <location filename="../cli/ask.py" line="116"/>
        <location filename="../cli/history.py" line="80"/>
        <location filename="../cli/history.py" line="120"/>
        <source>localsight: note: {note}</source>
        <translation>localsight：提示：{note}</translation>
    </message>
    <message>
        <location filename="../cli/catalog.py" line="43"/>
        <source>recommended vision models, whether they fit this machine</source>
        <translation>推荐的视觉模型，以及能否在这台电脑上运行</translation>
    </message>
    <message>
        <location filename="../cli/catalog.py" line="47"/>
        <source>context size to judge memory for (tokens)</source>
        <translation>估算内存时使用的上下文长度（token）</translation>
    </message>
    <message>
        <location filename="../cli/catalog.py" line="50"/>
        <source>download a catalog model (both files), resumable and verified</source>
        <translation>下载目录中的模型（两个文件），可续传并校验</translation>
    </message>
    <message>
        <location filename="../cli/catalog.py" line="52"/>
        <source>a catalog id, e.g. smolvlm-500m</source>
        <translation>目录中的 ID，例如 smolvlm-500m</translation>
    </message>
    <message>
        <location filename="../cli/catalog.py" line="56"/>
        <source>download even if it will not fit this machine&apos;s memory</source>
        <translation>即使这台电脑内存不足也下载</translation>
    </message>
    <message>
        <location filename="../cli/catalog.py" line="58"/>
        <source>delete a downloaded catalog model</source>
        <translation>删除从目录下载的模型</translation>
    </message>
    <message>
        <location filename="../cli/catalog.py" line="100"/>
        <source>models folder</source>
        <translation>模型文件夹</translation>
    </message>
    <message>
        <location filename="../cli/catalog.py" line="101"/>
        <source>Hugging Face cache</source>
        <translation>Hugging Face 缓存</translation>
    </message>
    <message>
        <location filename="../cli/catalog.py" line="102"/>
        <source>Ollama store</source>
        <translation>Ollama 存储</translation>
    </message>
    <message>
        <location filename="../cli/catalog.py" line="103"/>
        <source>Ollama server</source>
        <translation>Ollama 服务器</translation>
    </message>
    <message>
        <location filename="../cli/catalog.py" line="104"/>
        <source>built in</source>
        <translation>内置</translation>
    </message>
    <message>
        <location filename="../cli/catalog.py" line="105"/>
        <source>added by path</source>
        <translation>按路径添加</translation>
    </message>
    <message>
        <location filename="../cli/catalog.py" line="112"/>
        <location filename="../cli/models.py" line="94"/>
        <source>vision</source>
        <translation>视觉</translation>
    </message>
    <message>
        <location filename="../cli/catalog.py" line="113"/>
        <location filename="../cli/models.py" line="94"/>
        <source>thinking</source>
        <translation>思考</translation>
    </message>
    <message>
        <location filename="../cli/catalog.py" line="114"/>
        <location filename="../cli/models.py" line="94"/>
        <source>tools</source>
        <translation>工具</translation>
    </message>
    <message>
        <location filename="../cli/catalog.py" line="116"/>
        <location filename="../cli/models.py" line="95"/>
        <source>text</source>
        <translation>文本</translation>
    </message>
    <message>
        <location filename="../cli/catalog.py" line="121"/>
        <source>installed ({location})</source>
        <translation>已安装（{location}）</translation>
    </message>
    <message>
        <location filename="../cli/catalog.py" line="123"/>
        <source>{size} downloaded, resumable</source>
        <translation>已下载 {size}，可续传</translation>
    </message>
    <message>
        <location filename="../cli/catalog.py" line="125"/>
        <source>not downloaded; Ollama has {name} (runs in-process)</source>
        <translation>未下载；Ollama 中已有 {name}（可在进程内运行）</translation>
    </message>
    <message>
        <location filename="../cli/catalog.py" line="126"/>
        <source>not downloaded</source>
        <translation>未下载</translation>
    </message>
    <message>
        <location filename="../cli/catalog.py" line="165"/>
        <source>This machine: {memory} memory, {free} free now; {disk} free disk for models.</source>
        <translation>这台电脑：内存 {memory}，当前可用 {free}；模型文件夹所在磁盘可用 {disk}。</translation>
    </message>
    <message>
        <location filename="../cli/catalog.py" line="172"/>
        <source>This machine: {memory} memory, {free} free now.</source>
        <translation>这台电脑：内存 {memory}，当前可用 {free}。</translation>
    </message>
    <message>
        <location filename="../cli/catalog.py" line="177"/>
        <location filename="../cli/catalog.py" line="396"/>
        <source>NAME</source>
        <translation>名称</translation>
    </message>
    <message>
        <location filename="../cli/catalog.py" line="178"/>
        <source>DOWNLOAD</source>
        <translation>下载</translation>
    </message>
    <message>
        <location filename="../cli/catalog.py" line="179"/>
        <source>MEMORY</source>
        <translation>内存</translation>
    </message>
    <message>
        <location filename="../cli/catalog.py" line="181"/>
        <source>FIT</source>
        <translation>适配</translation>
    </message>
    <message>
        <location filename="../cli/catalog.py" line="182"/>
        <source>STATUS</source>
        <translation>状态</translation>
    </message>
    <message>
        <location filename="../cli/catalog.py" line="200"/>
        <source>{id}: {reason}.</source>
        <translation>{id}：{reason}。</translation>
    </message>
    <message>
        <location filename="../cli/catalog.py" line="202"/>
        <source>* recommended here. Get it: localsight models download {id}</source>
        <translation>* 表示推荐在这台电脑上使用。下载：localsight models download {id}</translation>
    </message>
    <message>
        <location filename="../cli/catalog.py" line="225"/>
        <source>{file}: checking sha256…</source>
        <translation>{file}：正在校验 sha256…</translation>
    </message>
    <message>
        <location filename="../cli/catalog.py" line="238"/>
        <source>{name} is already installed ({location}):</source>
        <translation>{name} 已安装（{location}）：</translation>
    </message>
    <message>
        <location filename="../cli/catalog.py" line="244"/>
        <source>localsight: note: Ollama already has {name}; it runs in-process without this download: localsight ask --model {name} ...</source>
        <translation>localsight：提示：Ollama 中已有 {name}，无需下载即可在进程内运行：localsight ask --model {name} ...</translation>
    </message>
    <message>
        <location filename="../cli/catalog.py" line="251"/>
        <source>localsight: note: {name} {reason}.</source>
        <translation>localsight：提示：{name} {reason}。</translation>
    </message>
    <message>
        <location filename="../cli/catalog.py" line="261"/>
        <source>localsight: stopped. What was downloaded is kept: run the same command to resume.</source>
        <translation>localsight：已停止。已下载的部分会保留：再次运行同一命令即可继续。</translation>
    </message>
    <message>
        <location filename="../cli/catalog.py" line="268"/>
        <source>Downloaded {name} (sha256 verified) into {folder}</source>
        <translation>已下载 {name}（sha256 校验通过），位于 {folder}</translation>
    </message>
    <message>
        <location filename="../cli/catalog.py" line="273"/>
        <source>Try it: localsight ask --model {path} --image PHOTO &quot;Describe this image.&quot;</source>
        <translation>试试：localsight ask --model {path} --image PHOTO &quot;Describe this image.&quot;</translation>
    </message>
    <message>
        <location filename="../cli/catalog.py" line="284"/>
        <source>Removed {name} ({size} freed).</source>
        <translation>已移除 {name}（释放 {size}）。</translation>
    </message>
    <message>
        <location filename="../cli/catalog.py" line="289"/>
        <source>LocalSight has no copy of {name}. The one in your Hugging Face cache ({folder}) belongs to huggingface_hub; LocalSight leaves it alone.</source>
        <translation>LocalSight 没有 {name} 的副本。Hugging Face 缓存中的那份（{folder}）属于 huggingface_hub，LocalSight 不会动它。</translation>
    </message>
    <message>
        <location filename="../cli/catalog.py" line="295"/>
        <source>{name} is not downloaded; nothing to remove.</source>
        <translation>{name} 未下载，无需移除。</translation>
    </message>
    <message>
        <location filename="../cli/catalog.py" line="346"/>
        <location filename="../cli/models.py" line="127"/>
        <source>localsight: skipped: {problem}</source>
        <translation>localsight：已跳过：{problem}</translation>
    </message>
    <message>
        <location filename="../cli/catalog.py" line="359"/>
        <source>localsight: note: Ollama is not running; its server&apos;s models are not listed.</source>
        <translation>localsight：提示：Ollama 未运行，未列出其服务器上的模型。</translation>
    </message>
    <message>
        <location filename="../cli/catalog.py" line="390"/>
        <source>No models yet. Put .gguf files in {folder}, or get one: localsight models catalog</source>
        <translation>还没有模型。请把 .gguf 文件放到 {folder}，或下载一个：localsight models catalog</translation>
    </message>
    <message>
        <location filename="../cli/catalog.py" line="397"/>
        <source>BACKEND</source>
        <translation>后端</translation>
    </message>
    <message>
        <location filename="../cli/catalog.py" line="398"/>
        <source>CAN</source>
        <translation>能力</translation>
    </message>
    <message>
        <location filename="../cli/catalog.py" line="399"/>
        <source>SIZE</source>
        <translation>大小</translation>
    </message>
    <message>
        <location filename="../cli/catalog.py" line="401"/>
        <source>WHERE</source>
        <translation>位置</translation>
    </message>
    <message>
        <location filename="../cli/common.py" line="45"/>
        <source>Ollama&apos;s address (default: your setting, else OLLAMA_HOST, else 127.0.0.1:11434)</source>
        <translation>Ollama 的地址（默认依次为：你的设置、OLLAMA_HOST、127.0.0.1:11434）</translation>
    </message>
    <message>
        <location filename="../cli/common.py" line="64"/>
        <source>must be from 1 to {maximum}</source>
        <translation>必须在 1 到 {maximum} 之间</translation>
    </message>
    <message>
        <location filename="../cli/common.py" line="90"/>
        <source>a .gguf path or a model name (default: your setting)</source>
        <translation>.gguf 路径或模型名称（默认：你的设置）</translation>
    </message>
    <message>
        <location filename="../cli/common.py" line="91"/>
        <source>the vision projector .gguf belonging to --model</source>
        <translation>与 --model 配套的视觉投影文件 .gguf</translation>
    </message>
    <message>
        <location filename="../cli/common.py" line="100"/>
        <source>context size in tokens</source>
        <translation>上下文长度（token）</translation>
    </message>
    <message>
        <location filename="../cli/common.py" line="122"/>
        <location filename="../cli/common.py" line="150"/>
        <source>localsight: warning: {warning}</source>
        <translation>localsight：警告：{warning}</translation>
    </message>
    <message>
        <location filename="../cli/common.py" line="162"/>
        <source>--mmproj needs --model: give the language model file too.</source>
        <translation>--mmproj 需要配合 --model：请同时指定语言模型文件。</translation>
    </message>
    <message>
        <location filename="../cli/describe.py" line="70"/>
        <source>describe every image under folders into a JSONL/CSV file (resumable)</source>
        <translation>描述文件夹中的每张图片，写入 JSONL/CSV 文件（中断后可继续）</translation>
    </message>
    <message>
        <location filename="../cli/describe.py" line="72"/>
        <source>Describe every image under PATHs with one model. Results are appended to --out as they are made; re-running skips images already described there with the same model and prompt.</source>
        <translation>用一个模型描述 PATH 下的每张图片。结果生成后即追加到 --out；再次运行时，会跳过其中已用相同模型和提示词描述过的图片。</translation>
    </message>
    <message>
        <location filename="../cli/describe.py" line="77"/>
        <source>image files or folders</source>
        <translation>图片文件或文件夹</translation>
    </message>
    <message>
        <location filename="../cli/describe.py" line="79"/>
        <source>default: &quot;{prompt}&quot;</source>
        <translation>默认：“{prompt}”</translation>
    </message>
    <message>
        <location filename="../cli/describe.py" line="88"/>
        <source>result file (default: descriptions.jsonl or .csv in the current folder)</source>
        <translation>结果文件（默认：当前文件夹中的 descriptions.jsonl 或 .csv）</translation>
    </message>
    <message>
        <location filename="../cli/describe.py" line="94"/>
        <source>default: from --out&apos;s suffix, else jsonl</source>
        <translation>默认：按 --out 的扩展名，否则为 jsonl</translation>
    </message>
    <message>
        <location filename="../cli/describe.py" line="97"/>
        <source>also write PHOTO.jpg.txt beside each image</source>
        <translation>同时在每张图片旁写入 PHOTO.jpg.txt</translation>
    </message>
    <message>
        <location filename="../cli/describe.py" line="100"/>
        <source>descend into subfolders</source>
        <translation>包括子文件夹</translation>
    </message>
    <message>
        <location filename="../cli/describe.py" line="105"/>
        <source>describe images that failed before again</source>
        <translation>重新描述之前失败的图片</translation>
    </message>
    <message>
        <location filename="../cli/describe.py" line="109"/>
        <source>no progress bar on stderr</source>
        <translation>不在 stderr 显示进度条</translation>
    </message>
    <message>
        <location filename="../cli/describe.py" line="144"/>
        <source>localsight: stopping after this image (Ctrl+C again to stop now).</source>
        <translation>localsight：处理完这张图片后停止（再按 Ctrl+C 立即停止）。</translation>
    </message>
    <message numerus="yes">
        <location filename="../cli/describe.py" line="192"/>
        <source>localsight: %n image(s): {done} already in {path}, {todo} to describe.</source>
        <translation>
            <numerusform>localsight：共 %n 张图片：{done} 张已在 {path} 中，{todo} 张待描述。</numerusform>
        </translation>
    </message>
    <message>
        <location filename="../cli/describe.py" line="242"/>
        <location filename="../cli/describe_pool.py" line="192"/>
        <source>img</source>
        <translation>张</translation>
    </message>
    <message>
        <location filename="../cli/describe.py" line="263"/>
        <source>localsight: stopped: {described} described, {copied} copied from identical files, {errors}, {skipped} already done; results in {path}; run the same command again to continue.</source>
        <translation>localsight：已停止：描述 {described} 张，从相同文件复制 {copied} 张，{errors}，此前已完成 {skipped} 张；结果在 {path}；再次运行同一命令即可继续。</translation>
    </message>
    <message>
        <location filename="../cli/describe.py" line="269"/>
        <source>localsight: done: {described} described, {copied} copied from identical files, {errors}, {skipped} already done; results in {path}.</source>
        <translation>localsight：完成：描述 {described} 张，从相同文件复制 {copied} 张，{errors}，此前已完成 {skipped} 张；结果在 {path}。</translation>
    </message>
    <message numerus="yes">
        <location filename="../cli/describe.py" line="276"/>
        <location filename="../cli/describe_batch.py" line="110"/>
        <source>%n error(s)</source>
        <translation>
            <numerusform>%n 个错误</numerusform>
        </translation>
    </message>
    <message>
        <location filename="../cli/history.py" line="29"/>
        <source>write conversations as Markdown or JSON files</source>
        <translation>把对话导出为 Markdown 或 JSON 文件</translation>
    </message>
    <message>
        <location filename="../cli/history.py" line="31"/>
        <source>Write saved conversations to a folder, with their images as files in an images/ folder beside them. Prints the files written.</source>
        <translation>把已保存的对话写入一个文件夹，对话中的图片以文件形式放在旁边的 images/ 文件夹中。完成后列出写入的文件。</translation>
    </message>
    <message>
        <location filename="../cli/history.py" line="41"/>
        <source>the conversation to export (repeat for several)</source>
        <translation>要导出的对话（可重复指定多个）</translation>
    </message>
    <message>
        <location filename="../cli/history.py" line="43"/>
        <source>every conversation (the default)</source>
        <translation>所有对话（默认）</translation>
    </message>
    <message>
        <location filename="../cli/history.py" line="45"/>
        <source>folder to write into</source>
        <translation>要写入的文件夹</translation>
    </message>
    <message>
        <location filename="../cli/history.py" line="53"/>
        <source>localsight: note: the chat history was damaged; it was moved to {path} (not deleted) and a new one was started.</source>
        <translation>localsight：提示：对话记录已损坏，已移到 {path}（未删除），并新建了一份。</translation>
    </message>
    <message numerus="yes">
        <location filename="../cli/history.py" line="60"/>
        <source>localsight: note: kept %n answer(s) cut off by a crash, marked interrupted.</source>
        <translation>
            <numerusform>localsight：提示：已保留 %n 条因崩溃而中断的回答，并标记为已中断。</numerusform>
        </translation>
    </message>
    <message>
        <location filename="../cli/history.py" line="87"/>
        <source>localsight: there are no saved conversations to export.</source>
        <translation>localsight：没有可导出的已保存对话。</translation>
    </message>
    <message>
        <location filename="../cli/history.py" line="135"/>
        <source>The model failed while answering.</source>
        <translation>模型在回答时出错。</translation>
    </message>
    <message>
        <location filename="../cli/models.py" line="38"/>
        <source>list, pull or delete models</source>
        <translation>列出、拉取或删除模型</translation>
    </message>
    <message>
        <location filename="../cli/models.py" line="42"/>
        <source>list the models a backend can run (default)</source>
        <translation>列出某个后端可运行的模型（默认）</translation>
    </message>
    <message>
        <location filename="../cli/models.py" line="45"/>
        <source>download a model into Ollama, showing progress</source>
        <translation>把模型下载到 Ollama，并显示进度</translation>
    </message>
    <message>
        <location filename="../cli/models.py" line="47"/>
        <source>an Ollama model name, e.g. gemma3:4b</source>
        <translation>Ollama 模型名称，例如 gemma3:4b</translation>
    </message>
    <message>
        <location filename="../cli/models.py" line="48"/>
        <source>remove a model from Ollama</source>
        <translation>从 Ollama 中删除模型</translation>
    </message>
    <message>
        <location filename="../cli/models.py" line="65"/>
        <source>machine-readable output</source>
        <translation>输出机器可读的格式</translation>
    </message>
    <message>
        <location filename="../cli/models.py" line="122"/>
        <source>Ollama has no models yet. Pull one: localsight models pull NAME</source>
        <translation>Ollama 中还没有模型。拉取一个：localsight models pull NAME</translation>
    </message>
    <message>
        <location filename="../cli/models.py" line="124"/>
        <source>No models yet. Put .gguf files in {folder}</source>
        <translation>还没有模型。请把 .gguf 文件放到 {folder}</translation>
    </message>
    <message>
        <location filename="../cli/models.py" line="134"/>
        <source>Only Ollama pulls models: add --backend ollama. The llama.cpp backend runs the .gguf files in your models folder.</source>
        <translation>只有 Ollama 能拉取模型：请加上 --backend ollama。llama.cpp 后端运行的是模型文件夹中的 .gguf 文件。</translation>
    </message>
    <message>
        <location filename="../cli/models.py" line="150"/>
        <source>Pulled {name}.</source>
        <translation>已拉取 {name}。</translation>
    </message>
    <message>
        <location filename="../cli/models.py" line="155"/>
        <source>Only Ollama deletes models: add --backend ollama.</source>
        <translation>只有 Ollama 能删除模型：请加上 --backend ollama。</translation>
    </message>
    <message>
        <location filename="../cli/models.py" line="157"/>
        <source>Deleted {name}.</source>
        <translation>已删除 {name}。</translation>
    </message>
    <message>
        <location filename="../cli/openai.py" line="33"/>
        <source>an API key on the command line is visible to every user through `ps`: put it in an environment variable and give the variable&apos;s name with --api-key-env</source>
        <translation>命令行中的 API 密钥可被所有用户通过 `ps` 看到：请把它放在环境变量中，并用 --api-key-env 指定变量名</translation>
    </message>
    <message>
        <location filename="../cli/openai.py" line="43"/>
        <source>give the *name* of an environment variable (letters, digits and _), not the key</source>
        <translation>请给出环境变量的*名称*（字母、数字和 _），而不是密钥本身</translation>
    </message>
    <message>
        <location filename="../cli/openai.py" line="54"/>
        <source>OpenAI-compatible servers (--backend openai)</source>
        <translation>OpenAI 兼容服务器（--backend openai）</translation>
    </message>
    <message>
        <location filename="../cli/openai.py" line="61"/>
        <source>the server&apos;s API address, e.g. http://127.0.0.1:8080/v1 (default: your setting, else the llama-server preset)</source>
        <translation>服务器的 API 地址，例如 http://127.0.0.1:8080/v1（默认：你的设置，否则为 llama-server 预设）</translation>
    </message>
    <message>
        <location filename="../cli/openai.py" line="70"/>
        <source>a known server&apos;s default address: {presets}</source>
        <translation>常见服务器的默认地址：{presets}</translation>
    </message>
    <message>
        <location filename="../cli/openai.py" line="80"/>
        <source>read the API key from environment variable VAR (default: {variable} if set); never put a key on the command line</source>
        <translation>从环境变量 VAR 读取 API 密钥（默认：{variable}，如已设置）；切勿把密钥写在命令行中</translation>
    </message>
    <message>
        <location filename="../cli/openai.py" line="91"/>
        <source>treat model NAME as able to see images, for servers that do not say (repeat)</source>
        <translation>把模型 NAME 视为能识别图片，用于不报告此能力的服务器（可重复）</translation>
    </message>
    <message>
        <location filename="../cli/progress.py" line="31"/>
        <source>ETA</source>
        <translation>剩余</translation>
    </message>
    <message>
        <location filename="../cli/describe_batch.py" line="23"/>
        <source>batch engines (vllm run-batch, OpenAI Batch API)</source>
        <translation>批处理引擎（vllm run-batch、OpenAI Batch API）</translation>
    </message>
    <message>
        <location filename="../cli/describe_batch.py" line="30"/>
        <source>write one OpenAI Batch request per image still to do, instead of describing</source>
        <translation>不在本地描述，而是为每张尚未完成的图片写出一条 OpenAI Batch 请求</translation>
    </message>
    <message>
        <location filename="../cli/describe_batch.py" line="38"/>
        <source>add a batch run&apos;s results (output or error file) to --out (repeatable)</source>
        <translation>将批处理运行的结果（输出文件或错误文件）加入 --out（可重复）</translation>
    </message>
    <message>
        <location filename="../cli/describe_batch.py" line="45"/>
        <source>extra sampling fields for the engine that will run the batch: vllm and llama.cpp also take top_k and a repeat penalty (default: openai, none)</source>
        <translation>为将运行该批处理的引擎附加的采样字段：vllm 和 llama.cpp 还接受 top_k 和重复惩罚（默认：openai，不附加）</translation>
    </message>
    <message numerus="yes">
        <location filename="../cli/describe_batch.py" line="72"/>
        <source>localsight: %n request(s) written to {file}.</source>
        <translation>
            <numerusform>localsight：已将 %n 条请求写入 {file}。</numerusform>
        </translation>
    </message>
    <message numerus="yes">
        <location filename="../cli/describe_batch.py" line="80"/>
        <source>localsight: %n unreadable image(s) written to {out} as error rows.</source>
        <translation>
            <numerusform>localsight：%n 张无法读取的图片已作为错误行写入 {out}。</numerusform>
        </translation>
    </message>
    <message>
        <location filename="../cli/describe_batch.py" line="91"/>
        <source>localsight: {file}, line {line}: not a batch result; skipped.</source>
        <translation>localsight：{file} 第 {line} 行不是批处理结果，已跳过。</translation>
    </message>
    <message numerus="yes">
        <location filename="../cli/describe_batch.py" line="100"/>
        <source>localsight: %n result(s) ignored: no image of this run has that sha256.</source>
        <translation>
            <numerusform>localsight：已忽略 %n 条结果：本次运行中没有图片具有该 sha256。</numerusform>
        </translation>
    </message>
    <message>
        <location filename="../cli/describe_batch.py" line="106"/>
        <source>localsight: imported: {described} described, {copied} copied from identical files, {errors}; {remaining}; results in {out}.</source>
        <translation>localsight：已导入：描述 {described} 张，从相同文件复制 {copied} 张，{errors}；{remaining}；结果位于 {out}。</translation>
    </message>
    <message numerus="yes">
        <location filename="../cli/describe_batch.py" line="111"/>
        <source>%n image(s) still to do</source>
        <translation>
            <numerusform>还有 %n 张图片待处理</numerusform>
        </translation>
    </message>
    <message>
        <location filename="../cli/describe_pool.py" line="44"/>
        <source>images in flight at once over all servers (default 1; in-process llama.cpp always does one)</source>
        <translation>所有服务器合计同时处理的图片数（默认 1；进程内 llama.cpp 始终一次一张）</translation>
    </message>
    <message>
        <location filename="../cli/describe_pool.py" line="53"/>
        <source>servers to share the work: one URL per line, optionally followed by its limit</source>
        <translation>分担工作的服务器：每行一个 URL，后面可跟它的并发上限</translation>
    </message>
    <message>
        <location filename="../cli/describe_pool.py" line="60"/>
        <source>a server that sends nothing for this long is given up on for that image</source>
        <translation>服务器这么久没有发来任何内容时，放弃它对这张图片的处理</translation>
    </message>
    <message>
        <location filename="../cli/describe_pool.py" line="91"/>
        <source>cannot read {path}: {error}</source>
        <translation>无法读取 {path}：{error}</translation>
    </message>
    <message>
        <location filename="../cli/describe_pool.py" line="103"/>
        <source>{path}, line {line}: expected a URL, optionally followed by a whole number (its images in flight)</source>
        <translation>{path} 第 {line} 行：应为一个 URL，后面可跟一个整数（它同时处理的图片数）</translation>
    </message>
    <message>
        <location filename="../cli/describe_pool.py" line="111"/>
        <source>{path} names no server.</source>
        <translation>{path} 中没有列出任何服务器。</translation>
    </message>
    <message>
        <location filename="../cli/describe_pool.py" line="202"/>
        <source>{server} {rate}/s {failures} failed</source>
        <translation>{server} {rate} 张/秒 失败 {failures} 次</translation>
    </message>
    <message>
        <location filename="../cli/describe_pool.py" line="220"/>
        <source>localsight: {server} dropped from the pool after {count} failures in a row: {error}</source>
        <translation>localsight：{server} 连续失败 {count} 次，已从服务器池中移除：{error}</translation>
    </message>
    <message numerus="yes">
        <location filename="../cli/describe_pool.py" line="249"/>
        <source>localsight: {rate} images/s over {seconds} s on %n server(s).</source>
        <translation>
            <numerusform>localsight：在 %n 台服务器上用时 {seconds} 秒，平均每秒 {rate} 张图片。</numerusform>
        </translation>
    </message>
</context>
<context>
    <name>Composer</name>
    <message>
        <location filename="../qt/chat/composer.py" line="180"/>
        <source>Attached image {name}</source>
        <translation>已附加图片 {name}</translation>
    </message>
    <message>
        <location filename="../qt/chat/composer.py" line="160"/>
        <location filename="../qt/chat/composer.py" line="161"/>
        <source>Remove {name}</source>
        <extracomment>What the eager prefill (issue 20) says of an attached image: the model is reading it now, or has read it (Enter then evaluates only the typed words); &quot;&quot; says nothing. What a notice above the message box is about, so each goes when it stops being true (issue 17: &quot;SmolLM2 cannot see images&quot; outlived the switch to a vision model). A note of one kind never hides or clears another: each kind is kept apart, shown one after another. ``NOTICE_GENERAL``: the settings, models skipped, attachments -- kept until replaced. About the model chosen (&quot;… cannot see images&quot;): cleared when the model changes. About the chat on screen (&quot;… is still answering&quot;, a failed send): cleared when another chat, or a new one, is shown.</extracomment>
        <translation>移除 {name}</translation>
    </message>
    <message>
        <location filename="../qt/chat/composer.py" line="182"/>
        <source>Reading…</source>
        <translation>读取中…</translation>
    </message>
    <message>
        <location filename="../qt/chat/composer.py" line="183"/>
        <source>The model is reading it now, so the answer can start sooner.</source>
        <translation>模型正在读取这张图片，回答可以更快开始。</translation>
    </message>
    <message>
        <location filename="../qt/chat/composer.py" line="184"/>
        <source>Attached image {name}, being read</source>
        <translation>已附加图片 {name}，正在读取</translation>
    </message>
    <message>
        <location filename="../qt/chat/composer.py" line="186"/>
        <source>Ready</source>
        <translation>就绪</translation>
    </message>
    <message>
        <location filename="../qt/chat/composer.py" line="187"/>
        <source>Read — Enter answers at once.</source>
        <translation>已读取 — 按 Enter 即可立即回答。</translation>
    </message>
    <message>
        <location filename="../qt/chat/composer.py" line="188"/>
        <source>Attached image {name}, read</source>
        <translation>已附加图片 {name}，已读取</translation>
    </message>
    <message>
        <location filename="../qt/chat/composer.py" line="292"/>
        <source>Attach</source>
        <extracomment>The button beside a notice was clicked; its notice&apos;s NOTICE_* key. An image was attached or removed (the eager prefill reads the new set). An edit of a sent message started or ended (no prefill while editing).</extracomment>
        <translation>附加</translation>
    </message>
    <message>
        <location filename="../qt/chat/composer.py" line="294"/>
        <source>Attach images (Ctrl+O)</source>
        <translation>附加图片（Ctrl+O）</translation>
    </message>
    <message>
        <location filename="../qt/chat/composer.py" line="295"/>
        <source>Attach images</source>
        <translation>附加图片</translation>
    </message>
    <message>
        <location filename="../qt/chat/composer.py" line="301"/>
        <source>Ask about an image, or anything… (Enter sends, Shift+Enter for a new line)</source>
        <translation>询问图片或任何问题…（Enter 发送，Shift+Enter 换行）</translation>
    </message>
    <message>
        <location filename="../qt/chat/composer.py" line="303"/>
        <source>Message</source>
        <translation>消息</translation>
    </message>
    <message>
        <location filename="../qt/chat/composer.py" line="304"/>
        <source>Your message. Enter sends, Shift+Enter adds a line.</source>
        <translation>你的消息。Enter 发送，Shift+Enter 换行。</translation>
    </message>
    <message>
        <location filename="../qt/chat/composer.py" line="318"/>
        <location filename="../qt/chat/composer.py" line="321"/>
        <source>Send</source>
        <translation>发送</translation>
    </message>
    <message>
        <location filename="../qt/chat/composer.py" line="320"/>
        <source>Send (Enter)</source>
        <translation>发送（Enter）</translation>
    </message>
    <message>
        <location filename="../qt/chat/composer.py" line="325"/>
        <location filename="../qt/chat/composer.py" line="328"/>
        <source>Stop</source>
        <translation>停止</translation>
    </message>
    <message>
        <location filename="../qt/chat/composer.py" line="327"/>
        <source>Stop the answer (Esc)</source>
        <translation>停止回答（Esc）</translation>
    </message>
    <message>
        <location filename="../qt/chat/composer.py" line="456"/>
        <source>image {number} of the message</source>
        <translation>消息中的第 {number} 张图片</translation>
    </message>
    <message>
        <location filename="../qt/chat/composer.py" line="459"/>
        <location filename="../qt/chat/composer.py" line="487"/>
        <source>Editing a message — Enter resends it and replaces what came after; Esc cancels.</source>
        <translation>正在编辑消息 — Enter 重新发送并替换其后的内容；Esc 取消。</translation>
    </message>
</context>
<context>
    <name>DescribeOffer</name>
    <message>
        <location filename="../qt/describe/offer.py" line="42"/>
        <source>Many images</source>
        <translation>多张图片</translation>
    </message>
    <message numerus="yes">
        <location filename="../qt/describe/offer.py" line="44"/>
        <source>The folder holds %n image(s).</source>
        <translation>
            <numerusform>该文件夹中有 %n 张图片。</numerusform>
        </translation>
    </message>
    <message numerus="yes">
        <location filename="../qt/describe/offer.py" line="46"/>
        <source>You dropped %n image(s).</source>
        <translation>
            <numerusform>你拖入了 %n 张图片。</numerusform>
        </translation>
    </message>
    <message>
        <location filename="../qt/describe/offer.py" line="48"/>
        <source>What should happen?</source>
        <translation>要怎么处理？</translation>
    </message>
    <message>
        <location filename="../qt/describe/offer.py" line="51"/>
        <source>Describe each: {model} describes every image on its own, in a table you can export as JSONL or CSV.

Attach to message: the images go into one chat message (at most {max}).</source>
        <translation>逐张描述：{model} 会分别描述每张图片，结果列在表格中，可导出为 JSONL 或 CSV。

附加到消息：图片放入同一条对话消息（最多 {max} 张）。</translation>
    </message>
    <message>
        <location filename="../qt/describe/offer.py" line="54"/>
        <source>the selected model</source>
        <translation>所选模型</translation>
    </message>
    <message>
        <location filename="../qt/describe/offer.py" line="59"/>
        <source>&amp;Describe each</source>
        <translation>逐张描述(&amp;D)</translation>
    </message>
    <message>
        <location filename="../qt/describe/offer.py" line="62"/>
        <source>&amp;Attach to message</source>
        <translation>附加到消息(&amp;A)</translation>
    </message>
    <message>
        <location filename="../qt/describe/offer.py" line="66"/>
        <source>Describe every image separately</source>
        <translation>分别描述每张图片</translation>
    </message>
    <message>
        <location filename="../qt/describe/offer.py" line="67"/>
        <source>Attach the images to your next message</source>
        <translation>将图片附加到下一条消息</translation>
    </message>
    <message>
        <location filename="../qt/describe/offer.py" line="68"/>
        <source>Do nothing with these images</source>
        <translation>不处理这些图片</translation>
    </message>
</context>
<context>
    <name>DescribePanel</name>
    <message>
        <location filename="../qt/describe/layout.py" line="35"/>
        <source>Describe this image in one or two sentences.</source>
        <translation>用一两句话描述这张图片。</translation>
    </message>
    <message>
        <location filename="../qt/describe/layout.py" line="42"/>
        <source>{s} s</source>
        <translation>{s} 秒</translation>
    </message>
    <message>
        <location filename="../qt/describe/layout.py" line="45"/>
        <source>{m} min {s} s</source>
        <translation>{m} 分 {s} 秒</translation>
    </message>
    <message>
        <location filename="../qt/describe/layout.py" line="47"/>
        <source>{h} h {m} min</source>
        <translation>{h} 小时 {m} 分</translation>
    </message>
    <message>
        <location filename="../qt/describe/layout.py" line="69"/>
        <source>Describe each image</source>
        <translation>逐张描述图片</translation>
    </message>
    <message>
        <location filename="../qt/describe/layout.py" line="84"/>
        <source>Model</source>
        <translation>模型</translation>
    </message>
    <message>
        <location filename="../qt/describe/layout.py" line="88"/>
        <source>Add &amp;images…</source>
        <translation>添加图片(&amp;I)…</translation>
    </message>
    <message>
        <location filename="../qt/describe/layout.py" line="88"/>
        <source>Add image files to the list</source>
        <translation>将图片文件添加到列表</translation>
    </message>
    <message>
        <location filename="../qt/describe/layout.py" line="92"/>
        <source>Add &amp;folder…</source>
        <translation>添加文件夹(&amp;F)…</translation>
    </message>
    <message>
        <location filename="../qt/describe/layout.py" line="93"/>
        <source>Add every image in a folder (not its subfolders)</source>
        <translation>添加文件夹中的所有图片（不含子文件夹）</translation>
    </message>
    <message>
        <location filename="../qt/describe/layout.py" line="99"/>
        <source>C&amp;lear</source>
        <translation>清空(&amp;L)</translation>
    </message>
    <message>
        <location filename="../qt/describe/layout.py" line="100"/>
        <source>Remove every image and result from the list</source>
        <translation>从列表中移除所有图片和结果</translation>
    </message>
    <message>
        <location filename="../qt/describe/layout.py" line="108"/>
        <source>&amp;Prompt:</source>
        <translation>提示词(&amp;P)：</translation>
    </message>
    <message>
        <location filename="../qt/describe/layout.py" line="110"/>
        <source>Prompt</source>
        <translation>提示词</translation>
    </message>
    <message>
        <location filename="../qt/describe/layout.py" line="111"/>
        <source>What to ask about every image; Enter starts</source>
        <translation>对每张图片提的问题；按 Enter 开始</translation>
    </message>
    <message>
        <location filename="../qt/describe/layout.py" line="116"/>
        <source>&amp;Start</source>
        <translation>开始(&amp;S)</translation>
    </message>
    <message>
        <location filename="../qt/describe/layout.py" line="116"/>
        <source>Describe every image not described yet</source>
        <translation>描述所有尚未描述的图片</translation>
    </message>
    <message>
        <location filename="../qt/describe/layout.py" line="120"/>
        <source>S&amp;top</source>
        <translation>停止(&amp;T)</translation>
    </message>
    <message>
        <location filename="../qt/describe/layout.py" line="120"/>
        <source>Stop now; finished rows are kept</source>
        <translation>立即停止；已完成的行会保留</translation>
    </message>
    <message>
        <location filename="../qt/describe/layout.py" line="132"/>
        <source>Notice</source>
        <translation>提示</translation>
    </message>
    <message>
        <location filename="../qt/describe/layout.py" line="138"/>
        <location filename="../qt/describe/layout.py" line="147"/>
        <source>Progress</source>
        <translation>进度</translation>
    </message>
    <message>
        <location filename="../qt/describe/layout.py" line="157"/>
        <source>&amp;Copy text</source>
        <translation>复制文本(&amp;C)</translation>
    </message>
    <message>
        <location filename="../qt/describe/layout.py" line="157"/>
        <source>Copy the selected rows&apos; descriptions (Ctrl+C)</source>
        <translation>复制所选行的描述（Ctrl+C）</translation>
    </message>
    <message>
        <location filename="../qt/describe/layout.py" line="162"/>
        <source>&amp;Write .txt files</source>
        <translation>写入 .txt 文件(&amp;W)</translation>
    </message>
    <message>
        <location filename="../qt/describe/layout.py" line="163"/>
        <source>Save each description beside its image as PHOTO.jpg.txt</source>
        <translation>将每条描述保存在对应图片旁，命名为 PHOTO.jpg.txt</translation>
    </message>
    <message>
        <location filename="../qt/describe/layout.py" line="169"/>
        <source>&amp;Export…</source>
        <translation>导出(&amp;E)…</translation>
    </message>
    <message>
        <location filename="../qt/describe/layout.py" line="170"/>
        <source>Save the results as JSON Lines or CSV</source>
        <translation>将结果保存为 JSON Lines 或 CSV</translation>
    </message>
    <message>
        <location filename="../qt/describe/layout.py" line="176"/>
        <source>Close</source>
        <translation>关闭</translation>
    </message>
    <message>
        <location filename="../qt/describe/layout.py" line="177"/>
        <source>Close this window (a run in progress is stopped)</source>
        <translation>关闭此窗口（会停止正在进行的任务）</translation>
    </message>
    <message>
        <location filename="../qt/describe/panel.py" line="62"/>
        <source>Images (*.png *.jpg *.jpeg *.webp *.gif *.bmp *.tif *.tiff *.heic *.avif)</source>
        <translation>图片 (*.png *.jpg *.jpeg *.webp *.gif *.bmp *.tif *.tiff *.heic *.avif)</translation>
    </message>
    <message>
        <location filename="../qt/describe/panel.py" line="67"/>
        <source>JSON Lines (*.jsonl)</source>
        <extracomment>The export dialog&apos;s filters (for lupdate; tr at use) and the file type each one means.</extracomment>
        <translation>JSON Lines 文件 (*.jsonl)</translation>
    </message>
    <message>
        <location filename="../qt/describe/panel.py" line="68"/>
        <source>CSV, for spreadsheets (*.csv)</source>
        <translation>CSV 表格文件 (*.csv)</translation>
    </message>
    <message>
        <location filename="../qt/describe/panel.py" line="154"/>
        <source>Images to describe</source>
        <translation>要描述的图片</translation>
    </message>
    <message>
        <location filename="../qt/describe/panel.py" line="160"/>
        <source>Folder to describe</source>
        <translation>要描述的文件夹</translation>
    </message>
    <message>
        <location filename="../qt/describe/panel.py" line="171"/>
        <source>{folder} has no images.</source>
        <translation>{folder} 中没有图片。</translation>
    </message>
    <message>
        <location filename="../qt/describe/panel.py" line="199"/>
        <source>No model is selected.</source>
        <translation>未选择模型。</translation>
    </message>
    <message>
        <location filename="../qt/describe/panel.py" line="201"/>
        <source>Model: {name} (sees images)</source>
        <translation>模型：{name}（可识别图片）</translation>
    </message>
    <message>
        <location filename="../qt/describe/panel.py" line="203"/>
        <source>Model: {name} (text only)</source>
        <translation>模型：{name}（仅文本）</translation>
    </message>
    <message>
        <location filename="../qt/describe/panel.py" line="216"/>
        <source>No model is selected. Add a vision model in the main window (Model → Add a model file…).</source>
        <translation>未选择模型。请在主窗口中添加视觉模型（模型 → 添加模型文件…）。</translation>
    </message>
    <message>
        <location filename="../qt/describe/panel.py" line="221"/>
        <source>{name} cannot see images. Pick a model marked “vision” in the main window (Ctrl+K), then press Start.</source>
        <translation>{name} 无法识别图片。请在主窗口中选择标有“视觉”的模型（Ctrl+K），然后点击“开始”。</translation>
    </message>
    <message>
        <location filename="../qt/describe/panel.py" line="236"/>
        <source>The model is answering in the chat. Wait for the answer (or stop it), then press Start: it answers one request at a time.</source>
        <translation>模型正在对话中回答。请等待回答结束（或停止它），再点击“开始”：模型一次只处理一个请求。</translation>
    </message>
    <message>
        <location filename="../qt/describe/panel.py" line="240"/>
        <source>Every image in the list has a result. Add more images first.</source>
        <translation>列表中的图片都已有结果。请先添加更多图片。</translation>
    </message>
    <message>
        <location filename="../qt/describe/panel.py" line="242"/>
        <source>Write a prompt first.</source>
        <translation>请先填写提示词。</translation>
    </message>
    <message>
        <location filename="../qt/describe/panel.py" line="263"/>
        <location filename="../qt/describe/panel.py" line="347"/>
        <source>Waiting</source>
        <translation>等待中</translation>
    </message>
    <message>
        <location filename="../qt/describe/panel.py" line="264"/>
        <source>Checking files…</source>
        <translation>正在检查文件…</translation>
    </message>
    <message>
        <location filename="../qt/describe/panel.py" line="284"/>
        <source>Stopping…</source>
        <translation>正在停止…</translation>
    </message>
    <message>
        <location filename="../qt/describe/panel.py" line="285"/>
        <source>Stopping the description run…</source>
        <translation>正在停止描述任务…</translation>
    </message>
    <message>
        <location filename="../qt/describe/panel.py" line="304"/>
        <source>Describing…</source>
        <translation>正在描述…</translation>
    </message>
    <message>
        <location filename="../qt/describe/panel.py" line="321"/>
        <source>Stopped: {done} of {total} done ({before} from before)</source>
        <translation>已停止：完成 {done}/{total}（其中 {before} 张为之前完成）</translation>
    </message>
    <message>
        <location filename="../qt/describe/panel.py" line="323"/>
        <source>Stopped: {done} of {total} done</source>
        <translation>已停止：完成 {done}/{total}</translation>
    </message>
    <message>
        <location filename="../qt/describe/panel.py" line="325"/>
        <source>Done: {done} of {total} ({before} from before) in {time}</source>
        <translation>完成：{done}/{total}（其中 {before} 张为之前完成），用时 {time}</translation>
    </message>
    <message>
        <location filename="../qt/describe/panel.py" line="327"/>
        <source>Done: {done} of {total} in {time}</source>
        <translation>完成：{done}/{total}，用时 {time}</translation>
    </message>
    <message numerus="yes">
        <location filename="../qt/describe/panel.py" line="331"/>
        <source>%n could not be described</source>
        <translation>
            <numerusform>%n 张无法描述</numerusform>
        </translation>
    </message>
    <message>
        <location filename="../qt/describe/panel.py" line="365"/>
        <source>{rate} images/s</source>
        <translation>每秒 {rate} 张</translation>
    </message>
    <message numerus="yes">
        <location filename="../qt/describe/panel.py" line="377"/>
        <source>%n image(s)</source>
        <translation>
            <numerusform>%n 张图片</numerusform>
        </translation>
    </message>
    <message numerus="yes">
        <location filename="../qt/describe/panel.py" line="379"/>
        <source>%n to describe</source>
        <translation>
            <numerusform>待描述 %n 张</numerusform>
        </translation>
    </message>
    <message numerus="yes">
        <location filename="../qt/describe/panel.py" line="432"/>
        <source>Exported %n row(s) to {file}</source>
        <translation>
            <numerusform>已导出 %n 行到 {file}</numerusform>
        </translation>
    </message>
    <message numerus="yes">
        <location filename="../qt/describe/panel.py" line="447"/>
        <source>A .txt file is already beside %n image(s). Replace the existing file(s)?</source>
        <translation>
            <numerusform>有 %n 张图片旁已有 .txt 文件。要替换这些文件吗？</numerusform>
        </translation>
    </message>
    <message numerus="yes">
        <location filename="../qt/describe/panel.py" line="460"/>
        <source>Wrote %n .txt file(s) beside the images</source>
        <translation>
            <numerusform>已在图片旁写入 %n 个 .txt 文件</numerusform>
        </translation>
    </message>
    <message>
        <location filename="../qt/describe/panel.py" line="333"/>
        <source>Start continues with the rest</source>
        <translation>点击“开始”继续处理其余图片</translation>
    </message>
    <message>
        <location filename="../qt/describe/panel.py" line="341"/>
        <source>The run stopped: see the message above.</source>
        <translation>任务已停止：请查看上方的提示。</translation>
    </message>
    <message>
        <location filename="../qt/describe/panel.py" line="342"/>
        <source>Describing stopped: {m}</source>
        <translation>描述已停止：{m}</translation>
    </message>
    <message>
        <location filename="../qt/describe/panel.py" line="347"/>
        <source>Not described (stopped)</source>
        <translation>未描述（已停止）</translation>
    </message>
    <message>
        <location filename="../qt/describe/panel.py" line="359"/>
        <source>{done} of {total}</source>
        <translation>{done}/{total}</translation>
    </message>
    <message>
        <location filename="../qt/describe/panel.py" line="363"/>
        <source>{s} s per image</source>
        <translation>每张 {s} 秒</translation>
    </message>
    <message>
        <location filename="../qt/describe/panel.py" line="367"/>
        <source>about {t} left</source>
        <translation>约剩 {t}</translation>
    </message>
    <message>
        <location filename="../qt/describe/panel.py" line="370"/>
        <source>Describing images: {p}</source>
        <translation>正在描述图片：{p}</translation>
    </message>
    <message>
        <location filename="../qt/describe/panel.py" line="380"/>
        <source>Add images or a folder to begin.</source>
        <translation>添加图片或文件夹以开始。</translation>
    </message>
    <message>
        <location filename="../qt/describe/panel.py" line="407"/>
        <source>Copied</source>
        <translation>已复制</translation>
    </message>
    <message>
        <location filename="../qt/describe/panel.py" line="412"/>
        <source>Export descriptions</source>
        <translation>导出描述</translation>
    </message>
    <message>
        <location filename="../qt/describe/panel.py" line="435"/>
        <source>Could not export: {e}</source>
        <translation>无法导出：{e}</translation>
    </message>
    <message>
        <location filename="../qt/describe/panel.py" line="445"/>
        <source>Replace text files?</source>
        <translation>替换文本文件？</translation>
    </message>
    <message>
        <location filename="../qt/describe/panel.py" line="463"/>
        <source>Could not write the .txt files: {e}</source>
        <translation>无法写入 .txt 文件：{e}</translation>
    </message>
</context>
<context>
    <name>DescribeTable</name>
    <message>
        <location filename="../qt/describe/table.py" line="49"/>
        <source>File</source>
        <translation>文件</translation>
    </message>
    <message>
        <location filename="../qt/describe/table.py" line="49"/>
        <source>Description</source>
        <translation>描述</translation>
    </message>
    <message>
        <location filename="../qt/describe/table.py" line="49"/>
        <source>Time</source>
        <translation>用时</translation>
    </message>
    <message>
        <location filename="../qt/describe/table.py" line="51"/>
        <source>Preview</source>
        <translation>预览</translation>
    </message>
    <message>
        <location filename="../qt/describe/table.py" line="54"/>
        <source>Descriptions</source>
        <translation>描述结果</translation>
    </message>
    <message>
        <location filename="../qt/describe/table.py" line="55"/>
        <source>One row per image. Ctrl+C copies the selected descriptions.</source>
        <translation>每张图片一行。Ctrl+C 复制所选描述。</translation>
    </message>
    <message>
        <location filename="../qt/describe/table.py" line="98"/>
        <source>Waiting</source>
        <translation>等待中</translation>
    </message>
    <message>
        <location filename="../qt/describe/table.py" line="140"/>
        <source>Could not describe: {error}</source>
        <translation>无法描述：{error}</translation>
    </message>
    <message>
        <location filename="../qt/describe/table.py" line="146"/>
        <source>{s} s</source>
        <translation>{s} 秒</translation>
    </message>
</context>
<context>
    <name>FirstRun</name>
    <message>
        <location filename="../qt/models/first_run_panel.py" line="74"/>
        <source>Getting started</source>
        <translation>开始使用</translation>
    </message>
    <message>
        <location filename="../qt/models/first_run_panel.py" line="95"/>
        <location filename="../qt/models/first_run_panel.py" line="98"/>
        <source>Not now</source>
        <translation>以后再说</translation>
    </message>
    <message>
        <location filename="../qt/models/first_run_panel.py" line="97"/>
        <source>Hide this; Model → Manage models… has everything</source>
        <translation>隐藏此面板；“模型 → 管理模型…”中有全部功能</translation>
    </message>
    <message>
        <location filename="../qt/models/first_run_panel.py" line="118"/>
        <source>Download progress</source>
        <translation>下载进度</translation>
    </message>
    <message>
        <location filename="../qt/models/first_run_panel.py" line="119"/>
        <source>Stop the download; what arrived is kept to resume later</source>
        <translation>停止下载；已下载的部分会保留，稍后可继续</translation>
    </message>
    <message>
        <location filename="../qt/models/first_run_panel.py" line="126"/>
        <source>See all models…</source>
        <translation>查看所有模型…</translation>
    </message>
    <message>
        <location filename="../qt/models/first_run_panel.py" line="129"/>
        <source>Every recommended model, with whether it fits (Ctrl+Shift+M)</source>
        <translation>所有推荐模型，并显示能否在本机运行（Ctrl+Shift+M）</translation>
    </message>
    <message>
        <location filename="../qt/models/first_run_panel.py" line="130"/>
        <source>See all models</source>
        <translation>查看所有模型</translation>
    </message>
    <message>
        <location filename="../qt/models/first_run_panel.py" line="212"/>
        <source>Start chatting</source>
        <translation>开始对话</translation>
    </message>
    <message>
        <location filename="../qt/models/first_run_panel.py" line="213"/>
        <source>Chat with {name} now (text only)</source>
        <translation>立即与 {name} 对话（仅文本）</translation>
    </message>
    <message>
        <location filename="../qt/models/first_run_panel.py" line="220"/>
        <source>A vision model is ready</source>
        <translation>视觉模型已就绪</translation>
    </message>
    <message>
        <location filename="../qt/models/first_run_panel.py" line="222"/>
        <source>{model} is already on this computer and can see images.</source>
        <translation>{model} 已在这台电脑上，可以识别图片。</translation>
    </message>
    <message>
        <location filename="../qt/models/first_run_panel.py" line="226"/>
        <source>Use {model}</source>
        <translation>使用 {model}</translation>
    </message>
    <message>
        <location filename="../qt/models/first_run_panel.py" line="227"/>
        <source>Chat with {model}; it can see images</source>
        <translation>与 {model} 对话；它可以识别图片</translation>
    </message>
    <message>
        <location filename="../qt/models/first_run_panel.py" line="230"/>
        <source>Ollama has a vision model</source>
        <translation>Ollama 中有视觉模型</translation>
    </message>
    <message>
        <location filename="../qt/models/first_run_panel.py" line="233"/>
        <source>Ollama is running and has {model}, which can see images: use it to ask about photos, screenshots and documents. {text} (built in) answers text.</source>
        <translation>Ollama 正在运行，并且有可识别图片的 {model}：可以用它询问照片、截图和文档。内置的 {text} 负责回答文本。</translation>
    </message>
    <message>
        <location filename="../qt/models/first_run_panel.py" line="241"/>
        <source>Use {model} (Ollama)</source>
        <translation>使用 {model}（Ollama）</translation>
    </message>
    <message>
        <location filename="../qt/models/first_run_panel.py" line="242"/>
        <source>Chat with {model} through Ollama</source>
        <translation>通过 Ollama 与 {model} 对话</translation>
    </message>
    <message>
        <location filename="../qt/models/first_run_panel.py" line="251"/>
        <source>Welcome to LocalSight</source>
        <translation>欢迎使用 LocalSight</translation>
    </message>
    <message>
        <location filename="../qt/models/first_run_panel.py" line="255"/>
        <source>{text} is built in and ready: it answers text right now, offline. This computer&apos;s memory is too small for the vision models of the catalog; see all models for what would fit with more memory.</source>
        <translation>{text} 已内置并就绪：现在就能离线回答文本。这台电脑的内存不足以运行目录中的视觉模型；查看所有模型，了解内存更大时可以运行哪些。</translation>
    </message>
    <message>
        <location filename="../qt/models/first_run_panel.py" line="267"/>
        <source>{text} is built in: it answers text right now, offline, but it cannot see images. For photos and screenshots, download {model}, the best vision model for this computer&apos;s memory.</source>
        <translation>{text} 已内置：现在就能离线回答文本，但无法识别图片。如需处理照片和截图，请下载 {model}，这是最适合这台电脑内存的视觉模型。</translation>
    </message>
    <message>
        <location filename="../qt/models/first_run_panel.py" line="274"/>
        <source>Resume</source>
        <translation>继续下载</translation>
    </message>
    <message>
        <location filename="../qt/models/first_run_panel.py" line="274"/>
        <source>Download</source>
        <translation>下载</translation>
    </message>
    <message>
        <location filename="../qt/models/first_run_panel.py" line="278"/>
        <source>{verb} {model} ({size}) for images</source>
        <translation>{verb} {model}（{size}）以识别图片</translation>
    </message>
    <message>
        <location filename="../qt/models/first_run_panel.py" line="328"/>
        <source>Downloading {model}…</source>
        <translation>正在下载 {model}…</translation>
    </message>
    <message>
        <location filename="../qt/models/first_run_panel.py" line="329"/>
        <source>Contacting the server…</source>
        <translation>正在连接服务器…</translation>
    </message>
    <message>
        <location filename="../qt/models/first_run_panel.py" line="337"/>
        <source>Cancelling…</source>
        <translation>正在取消…</translation>
    </message>
    <message>
        <location filename="../qt/models/first_run_panel.py" line="351"/>
        <source>Downloading {model}: {text}</source>
        <translation>正在下载 {model}：{text}</translation>
    </message>
    <message>
        <location filename="../qt/models/first_run_panel.py" line="357"/>
        <source>{model} is ready and selected</source>
        <translation>{model} 已就绪并选中</translation>
    </message>
</context>
<context>
    <name>MainWindow</name>
    <message>
        <location filename="../qt/controllers/chat.py" line="44"/>
        <source>Loading model…</source>
        <extracomment>Marked for lupdate (``QT_TRANSLATE_NOOP`` returns the text as it is); ``tr`` at use.</extracomment>
        <translation>正在加载模型…</translation>
    </message>
    <message>
        <location filename="../qt/controllers/chat.py" line="45"/>
        <source>Reading image…</source>
        <translation>正在读取图片…</translation>
    </message>
    <message>
        <location filename="../qt/controllers/chat.py" line="46"/>
        <source>Thinking…</source>
        <translation>正在思考…</translation>
    </message>
    <message>
        <location filename="../qt/controllers/chat.py" line="47"/>
        <source>Writing…</source>
        <translation>正在生成…</translation>
    </message>
    <message>
        <location filename="../qt/controllers/chat.py" line="56"/>
        <source>The model is describing images. Chat continues when that run ends; stop it in the Describe window (Chat → Describe images…).</source>
        <translation>模型正在描述图片。该任务结束后才能继续对话；可在描述窗口中停止它（对话 → 描述图片…）。</translation>
    </message>
    <message>
        <location filename="../qt/controllers/chat.py" line="179"/>
        <source>{name} cannot see images: it answers from the text of this chat, without the images in it.</source>
        <extracomment>A text-only model answers a chat with images: they were left out (defect 5). What the status bar was told when the last answer ended (&quot;Stopped&quot;): about that chat, so it is taken back when another chat is shown (issue 17). The settings chosen for a new chat before its first message (it has no row yet): its own system prompt and options, or None to follow the app&apos;s settings. How many images the chat on screen holds (its visible branch), and the vision model chosen last: a text-only model in an image chat is told about, with the way back (defect 5).</extracomment>
        <translation>{name} 无法识别图片：它只根据此对话的文字回答，不会看到其中的图片。</translation>
    </message>
    <message>
        <location filename="../qt/controllers/chat.py" line="184"/>
        <source>Switch to {name}</source>
        <translation>切换到 {name}</translation>
    </message>
    <message>
        <location filename="../qt/controllers/chat.py" line="215"/>
        <location filename="../qt/main_window.py" line="408"/>
        <source>New chat</source>
        <translation>新建对话</translation>
    </message>
    <message>
        <location filename="../qt/controllers/chat.py" line="242"/>
        <location filename="../qt/controllers/chat.py" line="709"/>
        <location filename="../qt/controllers/models.py" line="205"/>
        <source>Ready</source>
        <translation>就绪</translation>
    </message>
    <message>
        <location filename="../qt/controllers/chat.py" line="260"/>
        <source>Rename chat</source>
        <translation>重命名对话</translation>
    </message>
    <message>
        <location filename="../qt/controllers/chat.py" line="260"/>
        <source>Title:</source>
        <translation>标题：</translation>
    </message>
    <message>
        <location filename="../qt/controllers/chat.py" line="297"/>
        <source>this chat</source>
        <translation>此对话</translation>
    </message>
    <message>
        <location filename="../qt/controllers/chat.py" line="300"/>
        <source>Delete chat</source>
        <translation>删除对话</translation>
    </message>
    <message>
        <location filename="../qt/controllers/chat.py" line="301"/>
        <source>Delete “{title}” and its images? This cannot be undone.</source>
        <translation>删除“{title}”及其图片？此操作无法撤销。</translation>
    </message>
    <message>
        <location filename="../qt/controllers/chat.py" line="407"/>
        <source>“{title}” is still answering. Press Esc to stop it, or send this when it is done (your message is kept).</source>
        <translation>“{title}”仍在回答中。按 Esc 停止，或等它结束后再发送（你的消息会保留）。</translation>
    </message>
    <message>
        <location filename="../qt/controllers/chat.py" line="409"/>
        <source>Another chat</source>
        <translation>另一个对话</translation>
    </message>
    <message>
        <location filename="../qt/controllers/chat.py" line="432"/>
        <source>No model is selected. Add a .gguf model with Model → Add a model file…</source>
        <translation>未选择模型。请通过“模型 → 添加模型文件…”添加 .gguf 模型</translation>
    </message>
    <message>
        <location filename="../qt/controllers/chat.py" line="439"/>
        <source>{name} cannot see images. Pick a model marked “vision” (Ctrl+K), or remove the images to ask in text.</source>
        <translation>{name} 无法识别图片。请选择标有“视觉”的模型（Ctrl+K），或移除图片后用文字提问。</translation>
    </message>
    <message>
        <location filename="../qt/controllers/chat.py" line="593"/>
        <source>Stopping…</source>
        <translation>正在停止…</translation>
    </message>
    <message>
        <location filename="../qt/controllers/chat.py" line="693"/>
        <source>Answered without seeing the images in this chat.</source>
        <translation>回答时未看到此对话中的图片。</translation>
    </message>
    <message>
        <location filename="../qt/controllers/chat.py" line="703"/>
        <source>Stopped</source>
        <translation>已停止</translation>
    </message>
    <message>
        <location filename="../qt/controllers/chat.py" line="703"/>
        <source>The answer failed</source>
        <translation>回答失败</translation>
    </message>
    <message>
        <location filename="../qt/controllers/chat.py" line="706"/>
        <source>Stopped at the token limit: Continue asks for more of the answer</source>
        <translation>已达到 token 上限而停止：点击“继续”可让模型接着回答</translation>
    </message>
    <message>
        <location filename="../qt/controllers/chat.py" line="728"/>
        <source>Not sent</source>
        <translation>未发送</translation>
    </message>
    <message>
        <location filename="../qt/controllers/images.py" line="61"/>
        <source>Attach images</source>
        <translation>附加图片</translation>
    </message>
    <message>
        <location filename="../qt/controllers/images.py" line="63"/>
        <source>Images (*.png *.jpg *.jpeg *.webp *.gif *.bmp *.tif *.tiff *.heic *.avif)</source>
        <translation>图片 (*.png *.jpg *.jpeg *.webp *.gif *.bmp *.tif *.tiff *.heic *.avif)</translation>
    </message>
    <message>
        <location filename="../qt/controllers/images.py" line="77"/>
        <source>pasted image</source>
        <translation>粘贴的图片</translation>
    </message>
    <message>
        <location filename="../qt/controllers/images.py" line="104"/>
        <source>Attached the first {max} of {total} images: one message holds at most {max}. Chat → Describe images… describes any number, one by one.</source>
        <translation>已附加 {total} 张图片中的前 {max} 张：一条消息最多 {max} 张。“对话 → 描述图片…”可逐张描述任意数量的图片。</translation>
    </message>
    <message>
        <location filename="../qt/controllers/images.py" line="166"/>
        <source>Could not read {reason}.</source>
        <translation>无法读取 {reason}。</translation>
    </message>
    <message>
        <location filename="../qt/controllers/images.py" line="168"/>
        <source>No images in {names} (subfolders are not searched).</source>
        <translation>{names} 中没有图片（不搜索子文件夹）。</translation>
    </message>
    <message>
        <location filename="../qt/controllers/images.py" line="177"/>
        <source>Only files on this computer can be attached; save the image first, then drop the file.</source>
        <translation>只能附加这台电脑上的文件；请先保存图片，再拖入文件。</translation>
    </message>
    <message>
        <location filename="../qt/controllers/models.py" line="172"/>
        <source>Looking for models…</source>
        <extracomment>At most this many skipped entries are told by name at once; a folder holding hundreds would push the message box off the window. The rest are counted, and ``localsight models`` lists every one. (old, new) settings after ``apply_settings``: the window restyles when the appearance changed (theme, text size).</extracomment>
        <translation>正在查找模型…</translation>
    </message>
    <message>
        <location filename="../qt/controllers/models.py" line="207"/>
        <source>No model found: add one with Model → Add a model file…</source>
        <translation>未找到模型：请通过“模型 → 添加模型文件…”添加</translation>
    </message>
    <message>
        <location filename="../qt/controllers/models.py" line="228"/>
        <source>Skipped while looking for models:</source>
        <translation>查找模型时跳过了：</translation>
    </message>
    <message numerus="yes">
        <location filename="../qt/controllers/models.py" line="231"/>
        <source>Skipped %n more; “localsight models” lists every one.</source>
        <translation>
            <numerusform>另有 %n 个被跳过；运行“localsight models”可查看完整列表。</numerusform>
        </translation>
    </message>
    <message>
        <location filename="../qt/controllers/models.py" line="305"/>
        <source>Removed from the list; the file is still on this computer.</source>
        <translation>已从列表中移除；文件仍在这台电脑上。</translation>
    </message>
    <message>
        <location filename="../qt/controllers/models.py" line="334"/>
        <source>Add a model</source>
        <translation>添加模型</translation>
    </message>
    <message>
        <location filename="../qt/controllers/models.py" line="334"/>
        <source>GGUF models (*.gguf)</source>
        <translation>GGUF 模型 (*.gguf)</translation>
    </message>
    <message>
        <location filename="../qt/controllers/models.py" line="441"/>
        <source>Could not save settings: {e}</source>
        <translation>无法保存设置：{e}</translation>
    </message>
    <message>
        <location filename="../qt/main_window.py" line="344"/>
        <location filename="../qt/main_window.py" line="346"/>
        <source>Settings</source>
        <extracomment>The first window&apos;s size where the screen has room for it. The smallest window that is still usable (the composer, the picker and the answers); never more than the screen, though: a window larger than its screen hides its edges. The share of the screen&apos;s available area the first window takes at most, so it looks like a window (the desktop shows around it) rather than a maximised one. The window built in its place when the language changed (None: not rebuilt).</extracomment>
        <translation>设置</translation>
    </message>
    <message>
        <location filename="../qt/main_window.py" line="345"/>
        <source>Settings (Ctrl+,)</source>
        <translation>设置（Ctrl+,）</translation>
    </message>
    <message>
        <location filename="../qt/main_window.py" line="387"/>
        <source>Status</source>
        <translation>状态</translation>
    </message>
    <message>
        <location filename="../qt/main_window.py" line="407"/>
        <source>&amp;Chat</source>
        <translation>对话(&amp;C)</translation>
    </message>
    <message>
        <location filename="../qt/main_window.py" line="411"/>
        <source>Attach images…</source>
        <translation>附加图片…</translation>
    </message>
    <message>
        <location filename="../qt/main_window.py" line="415"/>
        <source>Describe images…</source>
        <translation>描述图片…</translation>
    </message>
    <message>
        <location filename="../qt/main_window.py" line="416"/>
        <source>Search chats</source>
        <translation>搜索对话</translation>
    </message>
    <message>
        <location filename="../qt/main_window.py" line="418"/>
        <source>Chat settings…</source>
        <translation>对话设置…</translation>
    </message>
    <message>
        <location filename="../qt/main_window.py" line="419"/>
        <source>Export chat…</source>
        <translation>导出对话…</translation>
    </message>
    <message>
        <location filename="../qt/main_window.py" line="420"/>
        <source>Import chat…</source>
        <translation>导入对话…</translation>
    </message>
    <message>
        <location filename="../qt/main_window.py" line="422"/>
        <source>Copy last answer</source>
        <translation>复制最后的回答</translation>
    </message>
    <message>
        <location filename="../qt/main_window.py" line="423"/>
        <source>Regenerate last answer</source>
        <translation>重新生成最后的回答</translation>
    </message>
    <message>
        <location filename="../qt/main_window.py" line="424"/>
        <source>Stop</source>
        <translation>停止</translation>
    </message>
    <message>
        <location filename="../qt/main_window.py" line="426"/>
        <source>Quit</source>
        <translation>退出</translation>
    </message>
    <message>
        <location filename="../qt/main_window.py" line="427"/>
        <source>&amp;Model</source>
        <translation>模型(&amp;M)</translation>
    </message>
    <message>
        <location filename="../qt/main_window.py" line="428"/>
        <source>Choose model…</source>
        <translation>选择模型…</translation>
    </message>
    <message>
        <location filename="../qt/main_window.py" line="429"/>
        <source>Manage models…</source>
        <translation>管理模型…</translation>
    </message>
    <message>
        <location filename="../qt/main_window.py" line="430"/>
        <source>Add a model file…</source>
        <translation>添加模型文件…</translation>
    </message>
    <message>
        <location filename="../qt/main_window.py" line="431"/>
        <source>Settings…</source>
        <translation>设置…</translation>
    </message>
    <message>
        <location filename="../qt/main_window.py" line="432"/>
        <source>&amp;View</source>
        <translation>视图(&amp;V)</translation>
    </message>
    <message>
        <location filename="../qt/main_window.py" line="433"/>
        <source>Larger text</source>
        <translation>放大文字</translation>
    </message>
    <message>
        <location filename="../qt/main_window.py" line="438"/>
        <source>Smaller text</source>
        <translation>缩小文字</translation>
    </message>
    <message>
        <location filename="../qt/main_window.py" line="442"/>
        <source>Usual text size</source>
        <translation>默认文字大小</translation>
    </message>
    <message>
        <location filename="../qt/main_window.py" line="443"/>
        <source>&amp;Help</source>
        <translation>帮助(&amp;H)</translation>
    </message>
    <message>
        <location filename="../qt/main_window.py" line="444"/>
        <source>Keyboard shortcuts</source>
        <translation>键盘快捷键</translation>
    </message>
    <message>
        <location filename="../qt/main_window.py" line="445"/>
        <source>About LocalSight</source>
        <translation>关于 LocalSight</translation>
    </message>
    <message>
        <location filename="../qt/main_window.py" line="454"/>
        <source>Copied</source>
        <translation>已复制</translation>
    </message>
    <message>
        <location filename="../qt/main_window.py" line="481"/>
        <source>The chat database was damaged; it was kept as {path} and a new one was started.</source>
        <translation>对话数据库已损坏；旧文件已保留为 {path}，并新建了数据库。</translation>
    </message>
    <message numerus="yes">
        <location filename="../qt/main_window.py" line="490"/>
        <source>%n answer(s) cut off when the app last closed: the text is kept and marked as stopped.</source>
        <translation>
            <numerusform>上次关闭应用时有 %n 个回答被中断：文本已保留并标记为已停止。</numerusform>
        </translation>
    </message>
    <message>
        <location filename="../qt/main_window.py" line="558"/>
        <source>The window changes language when the answer being written ends.</source>
        <extracomment>Windows made by ``rebuild``: nothing else in Python holds them (the first window is held by ``app.run``), and a top-level widget Python lets go of is destroyed.</extracomment>
        <translation>当前回答写完后，窗口将切换语言。</translation>
    </message>
    <message>
        <location filename="../qt/main_window.py" line="561"/>
        <source>The window changes language when the Describe run ends.</source>
        <translation>批量描述结束后，窗口将切换语言。</translation>
    </message>
    <message>
        <location filename="../qt/main_window.py" line="563"/>
        <source>The window changes language when the downloads end.</source>
        <translation>下载完成后，窗口将切换语言。</translation>
    </message>
    <message>
        <location filename="../qt/main_window.py" line="682"/>
        <source>Text size {percent} %</source>
        <translation>文字大小 {percent}%</translation>
    </message>
</context>
<context>
    <name>MessageWidget</name>
    <message>
        <location filename="../qt/chat/message_widget.py" line="47"/>
        <location filename="../qt/chat/message_widget.py" line="161"/>
        <location filename="../qt/chat/message_widget.py" line="167"/>
        <location filename="../qt/chat/message_widget.py" line="171"/>
        <source>Copy</source>
        <extracomment>How long a Copy button says &quot;Copied ✓&quot; after a click.</extracomment>
        <translation>复制</translation>
    </message>
    <message>
        <location filename="../qt/chat/message_widget.py" line="48"/>
        <source>code</source>
        <translation>代码</translation>
    </message>
    <message>
        <location filename="../qt/chat/message_widget.py" line="49"/>
        <location filename="../qt/chat/message_widget.py" line="224"/>
        <source>image</source>
        <translation>图片</translation>
    </message>
    <message>
        <location filename="../qt/chat/message_widget.py" line="50"/>
        <source>The rest of this message is shown as plain text.</source>
        <translation>此消息的其余部分以纯文本显示。</translation>
    </message>
    <message>
        <location filename="../qt/chat/message_widget.py" line="51"/>
        <source>{count} more characters are not shown; copy the message to get all of it.</source>
        <translation>还有 {count} 个字符未显示；复制消息可获取全部内容。</translation>
    </message>
    <message numerus="yes">
        <location filename="../qt/chat/message_widget.py" line="61"/>
        <source>%n token(s)</source>
        <translation>
            <numerusform>%n token</numerusform>
        </translation>
    </message>
    <message>
        <location filename="../qt/chat/message_widget.py" line="63"/>
        <source>{r} tok/s</source>
        <translation>{r} token/秒</translation>
    </message>
    <message>
        <location filename="../qt/chat/message_widget.py" line="65"/>
        <source>first token {s} s</source>
        <translation>首个 token {s} 秒</translation>
    </message>
    <message>
        <location filename="../qt/chat/message_widget.py" line="67"/>
        <source>model loaded in {s} s</source>
        <translation>模型加载 {s} 秒</translation>
    </message>
    <message>
        <location filename="../qt/chat/message_widget.py" line="136"/>
        <source>Your message</source>
        <extracomment>Show another version of this message (its id): ‹ and › on a message with versions. Extend this answer (cut by the token limit, or stopped).</extracomment>
        <translation>你的消息</translation>
    </message>
    <message>
        <location filename="../qt/chat/message_widget.py" line="136"/>
        <source>Answer</source>
        <translation>回答</translation>
    </message>
    <message>
        <location filename="../qt/chat/message_widget.py" line="161"/>
        <source>Copy this message (Ctrl+Shift+C)</source>
        <translation>复制此消息（Ctrl+Shift+C）</translation>
    </message>
    <message>
        <location filename="../qt/chat/message_widget.py" line="165"/>
        <location filename="../qt/chat/message_widget.py" line="415"/>
        <location filename="../qt/chat/message_widget.py" line="424"/>
        <source>Copied ✓</source>
        <translation>已复制 ✓</translation>
    </message>
    <message>
        <location filename="../qt/chat/message_widget.py" line="176"/>
        <source>Edit</source>
        <translation>编辑</translation>
    </message>
    <message>
        <location filename="../qt/chat/message_widget.py" line="177"/>
        <source>Edit and resend this message</source>
        <translation>编辑并重新发送此消息</translation>
    </message>
    <message>
        <location filename="../qt/chat/message_widget.py" line="184"/>
        <source>Continue</source>
        <translation>继续</translation>
    </message>
    <message>
        <location filename="../qt/chat/message_widget.py" line="185"/>
        <source>Let the model go on with this answer</source>
        <translation>让模型接着回答</translation>
    </message>
    <message>
        <location filename="../qt/chat/message_widget.py" line="191"/>
        <source>Retry</source>
        <translation>重试</translation>
    </message>
    <message>
        <location filename="../qt/chat/message_widget.py" line="192"/>
        <source>Ask again after this error</source>
        <translation>出错后重新提问</translation>
    </message>
    <message>
        <location filename="../qt/chat/message_widget.py" line="198"/>
        <source>Regenerate</source>
        <translation>重新生成</translation>
    </message>
    <message>
        <location filename="../qt/chat/message_widget.py" line="199"/>
        <location filename="../qt/chat/message_widget.py" line="398"/>
        <source>Replace this answer with a new one</source>
        <translation>重新生成此回答</translation>
    </message>
    <message>
        <location filename="../qt/chat/message_widget.py" line="228"/>
        <source>Open the image ({size})</source>
        <translation>打开图片（{size}）</translation>
    </message>
    <message>
        <location filename="../qt/chat/message_widget.py" line="229"/>
        <source>Attached image {size}</source>
        <translation>附加的图片 {size}</translation>
    </message>
    <message>
        <location filename="../qt/chat/message_widget.py" line="246"/>
        <source>Show the previous version</source>
        <translation>显示上一个版本</translation>
    </message>
    <message>
        <location filename="../qt/chat/message_widget.py" line="247"/>
        <source>Previous version</source>
        <translation>上一个版本</translation>
    </message>
    <message>
        <location filename="../qt/chat/message_widget.py" line="255"/>
        <source>Show the next version</source>
        <translation>显示下一个版本</translation>
    </message>
    <message>
        <location filename="../qt/chat/message_widget.py" line="256"/>
        <source>Next version</source>
        <translation>下一个版本</translation>
    </message>
    <message>
        <location filename="../qt/chat/message_widget.py" line="281"/>
        <source>Version {number} of {count}</source>
        <translation>第 {number} 个版本，共 {count} 个</translation>
    </message>
    <message>
        <location filename="../qt/chat/message_widget.py" line="318"/>
        <source>Stopped at the {limit}-token limit.</source>
        <translation>已达到 {limit} token 上限而停止。</translation>
    </message>
    <message>
        <location filename="../qt/chat/message_widget.py" line="315"/>
        <source>Stopped — the answer above is incomplete.</source>
        <translation>已停止 — 上面的回答不完整。</translation>
    </message>
    <message>
        <location filename="../qt/chat/message_widget.py" line="320"/>
        <source>Stopped at the token limit.</source>
        <translation>已达到 token 上限而停止。</translation>
    </message>
    <message>
        <location filename="../qt/chat/message_widget.py" line="324"/>
        <source>The model failed to answer.</source>
        <translation>模型未能回答。</translation>
    </message>
    <message>
        <location filename="../qt/chat/message_widget.py" line="327"/>
        <source>Thinking…</source>
        <translation>正在思考…</translation>
    </message>
    <message>
        <location filename="../qt/chat/message_widget.py" line="400"/>
        <source>Only the last answer can be regenerated</source>
        <translation>只能重新生成最后一个回答</translation>
    </message>
</context>
<context>
    <name>Messages</name>
    <message>
        <location filename="../../backends/_http.py" line="108"/>
        <source> for {seconds} s</source>
        <translation>（已等待 {seconds} 秒）</translation>
    </message>
    <message>
        <location filename="../../backends/ollama/backend.py" line="84"/>
        <source>pulling manifest</source>
        <translation>正在获取清单</translation>
    </message>
    <message>
        <location filename="../../backends/ollama/backend.py" line="85"/>
        <source>verifying sha256 digest</source>
        <translation>正在校验 sha256 摘要</translation>
    </message>
    <message>
        <location filename="../../backends/ollama/backend.py" line="86"/>
        <source>writing manifest</source>
        <translation>正在写入清单</translation>
    </message>
    <message>
        <location filename="../../backends/ollama/backend.py" line="87"/>
        <source>removing any unused layers</source>
        <translation>正在清理未使用的层</translation>
    </message>
    <message>
        <location filename="../../backends/ollama/backend.py" line="88"/>
        <source>success</source>
        <translation>完成</translation>
    </message>
    <message>
        <location filename="../../backends/ollama/backend.py" line="103"/>
        <source>pulling {digest}</source>
        <translation>正在下载 {digest}</translation>
    </message>
    <message>
        <location filename="../../backends/ollama/backend.py" line="312"/>
        <source>{model}: {problem}</source>
        <translation>{model}：{problem}</translation>
    </message>
    <message>
        <location filename="../../backends/ollama/backend.py" line="416"/>
        <source>Ollama at {host} ended the answer without finishing it. The partial answer is kept; try again.</source>
        <translation>{host} 上的 Ollama 没有写完回答就结束了。已收到的部分回答已保留，请重试。</translation>
    </message>
    <message>
        <location filename="../../backends/ollama/errors.py" line="41"/>
        <source>Ollama at {where} did not answer{waited}. It may be busy loading a model; try again in a moment.</source>
        <translation>{where} 上的 Ollama 没有响应{waited}。它可能正在加载模型，请稍后再试。</translation>
    </message>
    <message>
        <location filename="../../backends/ollama/errors.py" line="45"/>
        <source>Ollama stopped sending{waited} and was given up on. The partial answer is kept; try again, or raise the Ollama timeout if the model is very slow to load.</source>
        <translation>Ollama 停止发送数据{waited}，已放弃等待。已收到的部分回答已保留；请重试，如果模型加载很慢，可调大 Ollama 的超时时间。</translation>
    </message>
    <message>
        <location filename="../../backends/ollama/errors.py" line="49"/>
        <source>Ollama at {where} closed the connection before it finished (did the server stop or crash?). The partial answer is kept; try again.</source>
        <translation>{where} 上的 Ollama 在回答完成前关闭了连接（服务器是否已停止或崩溃？）。已收到的部分回答已保留，请重试。</translation>
    </message>
    <message>
        <location filename="../../backends/ollama/errors.py" line="60"/>
        <source>Ollama is not running at {host}. Start it with `ollama serve` (or open the Ollama app), or give its address with --host / OLLAMA_HOST.</source>
        <translation>Ollama 未在 {host} 运行。请用 `ollama serve` 启动它（或打开 Ollama 应用），或用 --host / OLLAMA_HOST 指定它的地址。</translation>
    </message>
    <message>
        <location filename="../../backends/ollama/errors.py" line="67"/>
        <source>Ollama is not reachable at {host}. Check the address, and that Ollama is running on that machine and that this computer may reach it.</source>
        <translation>无法连接到 {host} 上的 Ollama。请检查地址，并确认 Ollama 正在那台机器上运行、这台电脑可以访问它。</translation>
    </message>
    <message>
        <location filename="../../backends/ollama/errors.py" line="77"/>
        <source>Ollama has no model called &apos;{model}&apos;. Pull it first: localsight models pull --backend ollama {model}</source>
        <translation>Ollama 中没有名为“{model}”的模型。请先拉取：localsight models pull --backend ollama {model}</translation>
    </message>
    <message>
        <location filename="../../backends/ollama/errors.py" line="103"/>
        <source>Ollama at {host} did not accept a connection in time. Check the address and that the machine is on.</source>
        <translation>{host} 上的 Ollama 没有及时接受连接。请检查地址，并确认那台机器已开机。</translation>
    </message>
    <message>
        <location filename="../../backends/ollama/errors.py" line="127"/>
        <source>The server at {host} sent a reply LocalSight cannot read ({detail}). Is it really Ollama, and up to date?</source>
        <translation>{host} 上的服务器发来了 LocalSight 无法读取的回复（{detail}）。它确实是 Ollama 吗？版本是否为最新？</translation>
    </message>
    <message>
        <location filename="../../backends/ollama/errors.py" line="136"/>
        <source>Talking to Ollama at {host} failed: {error}: {detail}</source>
        <translation>与 {host} 上的 Ollama 通信失败：{error}：{detail}</translation>
    </message>
    <message>
        <location filename="../../backends/ollama/errors.py" line="153"/>
        <source>Ollama&apos;s library has no model called &apos;{model}&apos; ({detail}). Check the name and tag on ollama.com/library.</source>
        <translation>Ollama 模型库中没有名为“{model}”的模型（{detail}）。请在 ollama.com/library 上核对名称和标签。</translation>
    </message>
    <message>
        <location filename="../../backends/ollama/errors.py" line="161"/>
        <source>Ollama has no model called &apos;{model}&apos;; nothing was deleted.</source>
        <translation>Ollama 中没有名为“{model}”的模型，未删除任何内容。</translation>
    </message>
    <message>
        <location filename="../../backends/ollama/errors.py" line="167"/>
        <source>Ollama at {host} refused access (HTTP {status}: {detail}). Check the token or headers configured for it.</source>
        <translation>{host} 上的 Ollama 拒绝访问（HTTP {status}：{detail}）。请检查为它配置的令牌或请求头。</translation>
    </message>
    <message>
        <location filename="../../backends/ollama/errors.py" line="177"/>
        <source>{model} does not fit in the memory Ollama has: {detail}. Close other programs, or pick a smaller model or a smaller context size.</source>
        <translation>{model} 所需的内存超出了 Ollama 的可用内存：{detail}。请关闭其他程序，或选择更小的模型、更短的上下文长度。</translation>
    </message>
    <message>
        <location filename="../../backends/ollama/errors.py" line="179"/>
        <source>The model</source>
        <translation>该模型</translation>
    </message>
    <message>
        <location filename="../../backends/ollama/errors.py" line="187"/>
        <source>Ollama could not read an attached image ({detail}). Try another image.</source>
        <translation>Ollama 无法读取附加的图片（{detail}）。请换一张图片。</translation>
    </message>
    <message>
        <location filename="../../backends/ollama/errors.py" line="198"/>
        <source>Ollama could not load {model}: {detail}. The download may be damaged: delete it and pull it again, or update Ollama.</source>
        <translation>Ollama 无法加载 {model}：{detail}。下载的文件可能已损坏：请删除后重新拉取，或更新 Ollama。</translation>
    </message>
    <message>
        <location filename="../../backends/ollama/errors.py" line="200"/>
        <location filename="../../backends/openai_compat/errors.py" line="244"/>
        <source>the model</source>
        <translation>该模型</translation>
    </message>
    <message>
        <location filename="../../backends/ollama/errors.py" line="207"/>
        <source>Ollama refused the request: {detail}</source>
        <translation>Ollama 拒绝了请求：{detail}</translation>
    </message>
    <message>
        <location filename="../../backends/ollama/errors.py" line="212"/>
        <source>Ollama failed while answering: {detail}. The partial answer is kept; try again.</source>
        <translation>Ollama 在回答时出错：{detail}。已收到的部分回答已保留，请重试。</translation>
    </message>
    <message>
        <location filename="../../backends/ollama/errors.py" line="219"/>
        <source>Ollama answered with an error (HTTP {status}): {detail}</source>
        <translation>Ollama 返回了错误（HTTP {status}）：{detail}</translation>
    </message>
    <message>
        <location filename="../../backends/ollama/guard.py" line="45"/>
        <source>Stopped at your request before the server answered.</source>
        <translation>已按你的要求停止，服务器尚未回答。</translation>
    </message>
    <message>
        <location filename="../../backends/ollama/host.py" line="83"/>
        <source>Ollama at {url} is reached over plain http: prompts, images and answers cross the network unencrypted and Ollama itself checks no password. Use it only on a network you trust, or reach it through https.</source>
        <translation>{url} 上的 Ollama 通过未加密的 http 访问：提示词、图片和回答会以明文经过网络，而且 Ollama 本身不校验任何密码。请只在可信的网络中使用，或改用 https 访问。</translation>
    </message>
    <message>
        <location filename="../../backends/openai_compat/backend.py" line="208"/>
        <source>The server at {where} answered /models without a model list. Is it an OpenAI-compatible server? The address usually ends in /v1.</source>
        <translation>{where} 上的服务器对 /models 的回复中没有模型列表。它是 OpenAI 兼容服务器吗？地址通常以 /v1 结尾。</translation>
    </message>
    <message>
        <location filename="../../backends/openai_compat/backend.py" line="396"/>
        <source>The server at {where} ended the answer without finishing it (did it stop or crash?). The partial answer is kept; try again.</source>
        <translation>{where} 上的服务器没有写完回答就结束了（它是否已停止或崩溃？）。已收到的部分回答已保留，请重试。</translation>
    </message>
    <message>
        <location filename="../../backends/openai_compat/backend.py" line="415"/>
        <source>The server at {where} sent a chunk LocalSight cannot read ({chunk}). Is it an OpenAI-compatible server?</source>
        <translation>{where} 上的服务器发来了 LocalSight 无法读取的数据块（{chunk}）。它是 OpenAI 兼容服务器吗？</translation>
    </message>
    <message>
        <location filename="../../backends/openai_compat/endpoint.py" line="53"/>
        <source>Start with `llama-server -m MODEL.gguf --mmproj MMPROJ.gguf`; vision and timings are detected.</source>
        <translation>用 `llama-server -m MODEL.gguf --mmproj MMPROJ.gguf` 启动；能否识别图片和耗时统计会自动检测。</translation>
    </message>
    <message>
        <location filename="../../backends/openai_compat/endpoint.py" line="62"/>
        <source>Run the .llamafile (it serves on 8080); older builds may not report vision: mark the model as seeing in the settings.</source>
        <translation>运行 .llamafile（它在 8080 端口提供服务）；旧版本可能不报告能否识别图片：请在设置的“可识别图片的模型”中填入该模型。</translation>
    </message>
    <message>
        <location filename="../../backends/openai_compat/endpoint.py" line="71"/>
        <source>Start the server in LM Studio&apos;s Developer tab; mark vision models in the settings (its OpenAI endpoint does not say which models see).</source>
        <translation>在 LM Studio 的 Developer 标签页中启动服务器；请在设置的“可识别图片的模型”中填入视觉模型（它的 OpenAI 接口不说明哪些模型能识别图片）。</translation>
    </message>
    <message>
        <location filename="../../backends/openai_compat/endpoint.py" line="80"/>
        <source>`vllm serve MODEL` (add --api-key to require a key); mark vision models in the settings.</source>
        <translation>`vllm serve MODEL`（加上 --api-key 可要求提供密钥）；请在设置的“可识别图片的模型”中填入视觉模型。</translation>
    </message>
    <message>
        <location filename="../../backends/openai_compat/endpoint.py" line="97"/>
        <source>The server address is empty. Give one like http://127.0.0.1:8080/v1</source>
        <translation>服务器地址为空。请填写地址，例如 http://127.0.0.1:8080/v1</translation>
    </message>
    <message>
        <location filename="../../backends/openai_compat/endpoint.py" line="107"/>
        <source>&apos;{address}&apos; is not a server address. Give one like http://127.0.0.1:8080/v1</source>
        <translation>“{address}”不是服务器地址。请填写地址，例如 http://127.0.0.1:8080/v1</translation>
    </message>
    <message>
        <location filename="../../backends/openai_compat/endpoint.py" line="114"/>
        <source>&apos;{address}&apos; is not an http(s) server address. Give one like http://127.0.0.1:8080/v1</source>
        <translation>“{address}”不是 http(s) 服务器地址。请填写地址，例如 http://127.0.0.1:8080/v1</translation>
    </message>
    <message>
        <location filename="../../backends/openai_compat/endpoint.py" line="143"/>
        <source>(invalid address)</source>
        <translation>（无效地址）</translation>
    </message>
    <message>
        <location filename="../../backends/openai_compat/endpoint.py" line="157"/>
        <source>The server at {where} is reached over plain http: prompts, images, answers and the API key cross the network unencrypted. Use it only on a network you trust, or reach it through https.</source>
        <translation>{where} 上的服务器通过未加密的 http 访问：提示词、图片、回答和 API 密钥会以明文经过网络。请只在可信的网络中使用，或改用 https 访问。</translation>
    </message>
    <message>
        <location filename="../../backends/openai_compat/endpoint.py" line="163"/>
        <source>The server at {where} is reached over plain http: prompts, images, answers cross the network unencrypted. Use it only on a network you trust, or reach it through https.</source>
        <translation>{where} 上的服务器通过未加密的 http 访问：提示词、图片和回答会以明文经过网络。请只在可信的网络中使用，或改用 https 访问。</translation>
    </message>
    <message>
        <location filename="../../backends/openai_compat/errors.py" line="46"/>
        <source>The server at {where} did not answer{waited}. It may be busy loading a model; try again in a moment.</source>
        <translation>{where} 上的服务器没有响应{waited}。它可能正在加载模型，请稍后再试。</translation>
    </message>
    <message>
        <location filename="../../backends/openai_compat/errors.py" line="50"/>
        <source>The server at {where} stopped sending{waited} and was given up on. The partial answer is kept; try again.</source>
        <translation>{where} 上的服务器停止发送数据{waited}，已放弃等待。已收到的部分回答已保留，请重试。</translation>
    </message>
    <message>
        <location filename="../../backends/openai_compat/errors.py" line="54"/>
        <source>The server at {where} closed the connection without answering. Is it an OpenAI-compatible server, and is it still running?</source>
        <translation>{where} 上的服务器没有回答就关闭了连接。它是 OpenAI 兼容服务器吗？是否仍在运行？</translation>
    </message>
    <message>
        <location filename="../../backends/openai_compat/errors.py" line="58"/>
        <source>The server at {where} closed the connection before the answer was finished (did the server stop or crash?). The partial answer is kept; try again.</source>
        <translation>{where} 上的服务器在回答完成前关闭了连接（服务器是否已停止或崩溃？）。已收到的部分回答已保留，请重试。</translation>
    </message>
    <message>
        <location filename="../../backends/openai_compat/errors.py" line="70"/>
        <source>No server is running at {where}. Start it (llama-server, llamafile, LM Studio&apos;s local server or vLLM), or give its address with --base-url or --preset.</source>
        <translation>{where} 上没有正在运行的服务器。请启动它（llama-server、llamafile、LM Studio 的本地服务器或 vLLM），或用 --base-url 或 --preset 指定它的地址。</translation>
    </message>
    <message>
        <location filename="../../backends/openai_compat/errors.py" line="78"/>
        <source>The server at {where} is not reachable. Check the address, that the server runs on that machine, and that it listens on the network rather than only on 127.0.0.1.</source>
        <translation>无法连接到 {where} 上的服务器。请检查地址，确认服务器正在那台机器上运行，并且监听的是网络地址，而不只是 127.0.0.1。</translation>
    </message>
    <message>
        <location filename="../../backends/openai_compat/errors.py" line="91"/>
        <source>The server at {where} has no model called &apos;{model}&apos; ({detail}). See what it serves with: localsight models --backend openai --base-url URL</source>
        <translation>{where} 上的服务器没有名为“{model}”的模型（{detail}）。查看它提供哪些模型：localsight models --backend openai --base-url URL</translation>
    </message>
    <message>
        <location filename="../../backends/openai_compat/errors.py" line="100"/>
        <source>The server at {where} has no model called &apos;{model}&apos;. See what it serves with: localsight models --backend openai --base-url URL</source>
        <translation>{where} 上的服务器没有名为“{model}”的模型。查看它提供哪些模型：localsight models --backend openai --base-url URL</translation>
    </message>
    <message>
        <location filename="../../backends/openai_compat/errors.py" line="112"/>
        <source>HTTP {status}: {detail}</source>
        <translation>HTTP {status}：{detail}</translation>
    </message>
    <message>
        <location filename="../../backends/openai_compat/errors.py" line="170"/>
        <source>The server at {where} refused the API key ({reply}). Check the key in the environment variable named by --api-key-env, or in the settings.</source>
        <translation>{where} 上的服务器拒绝了 API 密钥（{reply}）。请检查 --api-key-env 所指环境变量中的密钥，或设置中的密钥。</translation>
    </message>
    <message>
        <location filename="../../backends/openai_compat/errors.py" line="178"/>
        <source>The server at {where} requires an API key ({reply}). Put the key in an environment variable and give its name with --api-key-env, or set it in the settings.</source>
        <translation>{where} 上的服务器需要 API 密钥（{reply}）。请把密钥放在环境变量中，并用 --api-key-env 指定变量名，或在设置中填写。</translation>
    </message>
    <message>
        <location filename="../../backends/openai_compat/errors.py" line="188"/>
        <source>There is no OpenAI-compatible API at {where} ({reply}). Check the address: it usually ends in /v1.</source>
        <translation>{where} 上没有 OpenAI 兼容 API（{reply}）。请检查地址：它通常以 /v1 结尾。</translation>
    </message>
    <message>
        <location filename="../../backends/openai_compat/errors.py" line="201"/>
        <source>The conversation no longer fits in the model&apos;s context on the server ({detail}). Start a new conversation, or give the server a larger context size.</source>
        <translation>对话已超出服务器上模型的上下文长度（{detail}）。请新建对话，或为服务器设置更大的上下文长度。</translation>
    </message>
    <message>
        <location filename="../../backends/openai_compat/errors.py" line="214"/>
        <source>The server ran out of memory ({detail}). Pick a smaller model or context size on the server.</source>
        <translation>服务器内存不足（{detail}）。请在服务器上选择更小的模型或更短的上下文长度。</translation>
    </message>
    <message>
        <location filename="../../backends/openai_compat/errors.py" line="224"/>
        <source>The model on {where} cannot see images ({detail}). Remove the images, or load the model with its vision projector (llama-server: --mmproj).</source>
        <translation>{where} 上的模型无法识别图片（{detail}）。请移除图片，或在加载模型时带上它的视觉投影文件（llama-server：--mmproj）。</translation>
    </message>
    <message>
        <location filename="../../backends/openai_compat/errors.py" line="233"/>
        <source>The server could not read an attached image ({detail}). Try another image.</source>
        <translation>服务器无法读取附加的图片（{detail}）。请换一张图片。</translation>
    </message>
    <message>
        <location filename="../../backends/openai_compat/errors.py" line="241"/>
        <source>The server at {where} could not load {model}: {detail}. The model file may be damaged or not supported by that server; check the server&apos;s log.</source>
        <translation>{where} 上的服务器无法加载 {model}：{detail}。模型文件可能已损坏，或该服务器不支持它；请查看服务器日志。</translation>
    </message>
    <message>
        <location filename="../../backends/openai_compat/errors.py" line="252"/>
        <source>The server at {where} is not ready ({reply}). It may still be loading the model; try again in a moment.</source>
        <translation>{where} 上的服务器尚未就绪（{reply}）。它可能仍在加载模型，请稍后再试。</translation>
    </message>
    <message>
        <location filename="../../backends/openai_compat/errors.py" line="262"/>
        <source>The server at {where} failed while answering: {detail}. The partial answer is kept; try again.</source>
        <translation>{where} 上的服务器在回答时出错：{detail}。已收到的部分回答已保留，请重试。</translation>
    </message>
    <message>
        <location filename="../../backends/openai_compat/errors.py" line="269"/>
        <source>The server at {where} failed while answering. The partial answer is kept; try again.</source>
        <translation>{where} 上的服务器在回答时出错。已收到的部分回答已保留，请重试。</translation>
    </message>
    <message>
        <location filename="../../backends/openai_compat/errors.py" line="277"/>
        <source>The server at {where} refused the request ({reply}).</source>
        <translation>{where} 上的服务器拒绝了请求（{reply}）。</translation>
    </message>
    <message>
        <location filename="../../backends/openai_compat/errors.py" line="283"/>
        <source>The server at {where} failed ({reply}). The partial answer is kept; try again, and check the server&apos;s log if it keeps failing.</source>
        <translation>{where} 上的服务器出错（{reply}）。已收到的部分回答已保留；请重试，如果一直出错，请查看服务器日志。</translation>
    </message>
    <message>
        <location filename="../../backends/openai_compat/errors.py" line="320"/>
        <source>{where} is not a usable server address ({detail}).</source>
        <translation>{where} 不是可用的服务器地址（{detail}）。</translation>
    </message>
    <message>
        <location filename="../../backends/openai_compat/errors.py" line="328"/>
        <source>The server at {where} sent a reply LocalSight cannot read ({detail}). Is it an OpenAI-compatible server?</source>
        <translation>{where} 上的服务器发来了 LocalSight 无法读取的回复（{detail}）。它是 OpenAI 兼容服务器吗？</translation>
    </message>
    <message>
        <location filename="../../backends/openai_compat/errors.py" line="337"/>
        <source>Talking to the server at {where} failed: {error}: {detail}</source>
        <translation>与 {where} 上的服务器通信失败：{error}：{detail}</translation>
    </message>
    <message>
        <location filename="../core/chat/export.py" line="200"/>
        <source>An image in conversation {conversation} was left out of the export: its name in the chat history, {name}, is not a sha256 (a damaged or edited backup?).</source>
        <extracomment>Why an image is left out, as the document says where the image was.</extracomment>
        <translation>对话 {conversation} 中的一张图片未导出：它在聊天记录中的名称 {name} 不是 sha256（备份可能已损坏或被改动过？）。</translation>
    </message>
    <message>
        <location filename="../core/chat/import_chat.py" line="77"/>
        <source>{name} is not a LocalSight chat export (it has no “format”: “{format}”).</source>
        <extracomment>A JSON export larger than this is not read (images are separate files): 64 MiB of text is tens of thousands of messages; more is a mistake or an attack on memory. The longest side an imported image may have: the largest the app ever stores (Settings&apos; image size goes up to 4096 px).</extracomment>
        <translation>{name} 不是 LocalSight 的对话导出文件（其中没有“format”：“{format}”）。</translation>
    </message>
    <message>
        <location filename="../core/chat/import_chat.py" line="85"/>
        <source>{name} has no valid export version.</source>
        <translation>{name} 没有有效的导出版本号。</translation>
    </message>
    <message>
        <location filename="../core/chat/import_chat.py" line="88"/>
        <source>{name} holds no list of conversations.</source>
        <translation>{name} 中没有对话列表。</translation>
    </message>
    <message>
        <location filename="../core/chat/import_chat.py" line="90"/>
        <source>{name} holds no conversations to import.</source>
        <translation>{name} 中没有可导入的对话。</translation>
    </message>
    <message>
        <location filename="../core/chat/import_chat.py" line="94"/>
        <source>conversation {number}</source>
        <translation>第 {number} 个对话</translation>
    </message>
    <message>
        <location filename="../../backends/llama_cpp/gguf_check.py" line="165"/>
        <source>{what} claims a string of {length} bytes</source>
        <extracomment>The GGUF value type of each scalar in ``metadata`` (``gguf.GGUFValueType``&apos;s numbers): llama.cpp&apos;s projector loader asserts a key has the type it reads it as. Each tensor&apos;s dimensions, ggml&apos;s order (``ne0`` first: a matrix&apos;s input width).</extracomment>
        <translation>{what} 声称有一个 {length} 字节的字符串</translation>
    </message>
    <message>
        <location filename="../../backends/llama_cpp/gguf_check.py" line="171"/>
        <source>{what} is not valid UTF-8</source>
        <translation>{what} 不是有效的 UTF-8</translation>
    </message>
    <message>
        <location filename="../../backends/llama_cpp/gguf_check.py" line="179"/>
        <source>the file ends early (truncated download?)</source>
        <translation>文件提前结束（下载不完整？）</translation>
    </message>
    <message>
        <location filename="../../backends/llama_cpp/gguf_check.py" line="184"/>
        <source>metadata {key}</source>
        <translation>元数据 {key}</translation>
    </message>
    <message>
        <location filename="../../backends/llama_cpp/gguf_check.py" line="196"/>
        <location filename="../../backends/llama_cpp/gguf_check.py" line="234"/>
        <source>{what} holds an oversized string</source>
        <translation>{what} 含有过长的字符串</translation>
    </message>
    <message>
        <location filename="../../backends/llama_cpp/gguf_check.py" line="204"/>
        <source>its vocabulary lists the token {token} twice (id {index})</source>
        <translation>它的词表中 token {token} 出现了两次（id {index}）</translation>
    </message>
    <message>
        <location filename="../../backends/llama_cpp/gguf_check.py" line="224"/>
        <source>{what} claims {count} items</source>
        <translation>{what} 声称有 {count} 项</translation>
    </message>
    <message>
        <location filename="../../backends/llama_cpp/gguf_check.py" line="239"/>
        <source>{what} has an unsupported array type {type}</source>
        <translation>{what} 的数组类型 {type} 不受支持</translation>
    </message>
    <message>
        <location filename="../../backends/llama_cpp/gguf_check.py" line="247"/>
        <source>{what} has an unknown value type {type}</source>
        <translation>{what} 的值类型 {type} 未知</translation>
    </message>
    <message>
        <location filename="../../backends/llama_cpp/gguf_check.py" line="257"/>
        <source>the file is too small to be a GGUF model</source>
        <translation>文件太小，不可能是 GGUF 模型</translation>
    </message>
    <message>
        <location filename="../../backends/llama_cpp/gguf_check.py" line="259"/>
        <source>it is not a GGUF file (wrong magic bytes)</source>
        <translation>它不是 GGUF 文件（文件头标识不对）</translation>
    </message>
    <message>
        <location filename="../../backends/llama_cpp/gguf_check.py" line="262"/>
        <source>GGUF version {version} is not supported</source>
        <translation>不支持 GGUF 版本 {version}</translation>
    </message>
    <message>
        <location filename="../../backends/llama_cpp/gguf_check.py" line="266"/>
        <source>the header claims {count} tensors</source>
        <translation>文件头声称有 {count} 个张量</translation>
    </message>
    <message>
        <location filename="../../backends/llama_cpp/gguf_check.py" line="268"/>
        <source>the header claims {count} metadata entries</source>
        <translation>文件头声称有 {count} 条元数据</translation>
    </message>
    <message>
        <location filename="../../backends/llama_cpp/gguf_check.py" line="274"/>
        <source>a metadata key</source>
        <translation>某个元数据键</translation>
    </message>
    <message>
        <location filename="../../backends/llama_cpp/gguf_check.py" line="278"/>
        <source>{what} appears twice</source>
        <translation>{what} 出现了两次</translation>
    </message>
    <message>
        <location filename="../../backends/llama_cpp/gguf_check.py" line="288"/>
        <source>the alignment {alignment} is not a power of two</source>
        <translation>对齐值 {alignment} 不是 2 的幂</translation>
    </message>
    <message>
        <location filename="../../backends/llama_cpp/gguf_check.py" line="295"/>
        <source>a tensor name</source>
        <translation>某个张量名</translation>
    </message>
    <message>
        <location filename="../../backends/llama_cpp/gguf_check.py" line="298"/>
        <source>tensor {name} appears twice</source>
        <translation>张量 {name} 出现了两次</translation>
    </message>
    <message>
        <location filename="../../backends/llama_cpp/gguf_check.py" line="303"/>
        <source>tensor {name} has {count} dimensions</source>
        <translation>张量 {name} 有 {count} 个维度</translation>
    </message>
    <message>
        <location filename="../../backends/llama_cpp/gguf_check.py" line="309"/>
        <source>tensor {name} has an impossible shape {shape}</source>
        <translation>张量 {name} 的形状 {shape} 不可能存在</translation>
    </message>
    <message>
        <location filename="../../backends/llama_cpp/gguf_check.py" line="318"/>
        <source>tensor {name} has an unknown type {type}</source>
        <translation>张量 {name} 的类型 {type} 未知</translation>
    </message>
    <message>
        <location filename="../../backends/llama_cpp/gguf_check.py" line="324"/>
        <source>tensor {name} has the type {type}, which no model&apos;s weights use</source>
        <translation>张量 {name} 的类型是 {type}，没有模型的权重使用这种类型</translation>
    </message>
    <message>
        <location filename="../../backends/llama_cpp/gguf_check.py" line="334"/>
        <source>the vector {name} is stored as {type}, not F32</source>
        <translation>向量 {name} 以 {type} 存储，而不是 F32</translation>
    </message>
    <message>
        <location filename="../../backends/llama_cpp/gguf_check.py" line="338"/>
        <source>tensor {name} rows do not fit its quantisation blocks</source>
        <translation>张量 {name} 的行与其量化块不匹配</translation>
    </message>
    <message>
        <location filename="../../backends/llama_cpp/gguf_check.py" line="345"/>
        <source>tensor {name} is misaligned</source>
        <translation>张量 {name} 没有对齐</translation>
    </message>
    <message>
        <location filename="../../backends/llama_cpp/gguf_check.py" line="354"/>
        <source>tensor {name} lies beyond the end of the file (truncated download?)</source>
        <translation>张量 {name} 超出了文件末尾（下载不完整？）</translation>
    </message>
    <message>
        <location filename="../../backends/llama_cpp/gguf_check.py" line="374"/>
        <source>the projector file has no encoder or projector tensors</source>
        <translation>视觉投影文件中没有编码器或投影张量</translation>
    </message>
    <message>
        <location filename="../../backends/llama_cpp/gguf_check.py" line="377"/>
        <source>the token embedding tensor is missing</source>
        <translation>缺少 token 嵌入张量</translation>
    </message>
    <message>
        <location filename="../../backends/llama_cpp/gguf_check.py" line="379"/>
        <source>the model has no transformer layers</source>
        <translation>模型没有 Transformer 层</translation>
    </message>
    <message>
        <location filename="../../backends/llama_cpp/gguf_check.py" line="394"/>
        <location filename="../core/chat/import_chat.py" line="102"/>
        <source>{name} is not a file.</source>
        <translation>{name} 不是文件。</translation>
    </message>
    <message>
        <location filename="../../backends/llama_cpp/gguf_check.py" line="402"/>
        <source>{name} is not a usable model file: {reason}. Download it again or pick another file.</source>
        <translation>{name} 不是可用的模型文件：{reason}。请重新下载或选择其他文件。</translation>
    </message>
    <message>
        <location filename="../../backends/llama_cpp/gguf_check.py" line="416"/>
        <source>{name} could not be read: {reason}.</source>
        <translation>无法读取 {name}：{reason}。</translation>
    </message>
    <message>
        <location filename="../core/chat/import_chat.py" line="108"/>
        <source>{name} cannot be read ({reason}).</source>
        <translation>无法读取 {name}（{reason}）。</translation>
    </message>
    <message>
        <location filename="../core/chat/import_chat.py" line="116"/>
        <source>{name} is larger than {size} MB; a chat export is much smaller.</source>
        <translation>{name} 超过 {size} MB；对话导出文件不会这么大。</translation>
    </message>
    <message>
        <location filename="../core/chat/import_chat.py" line="124"/>
        <source>{name} is not UTF-8 text.</source>
        <translation>{name} 不是 UTF-8 文本。</translation>
    </message>
    <message>
        <location filename="../core/chat/import_chat.py" line="128"/>
        <source>{name} is not valid JSON ({reason}).</source>
        <translation>{name} 不是有效的 JSON（{reason}）。</translation>
    </message>
    <message>
        <location filename="../core/chat/import_chat.py" line="142"/>
        <location filename="../core/chat/import_chat.py" line="180"/>
        <location filename="../core/chat/import_chat.py" line="209"/>
        <source>The export&apos;s {where} is not an object.</source>
        <translation>导出文件中{where}不是 JSON 对象。</translation>
    </message>
    <message>
        <location filename="../core/chat/import_chat.py" line="146"/>
        <source>The export&apos;s {where} has no list of messages.</source>
        <translation>导出文件中{where}没有消息列表。</translation>
    </message>
    <message>
        <location filename="../core/chat/import_chat.py" line="148"/>
        <location filename="../core/chat/import_chat.py" line="196"/>
        <source>{where}&apos;s created_at</source>
        <translation>{where}的 created_at 字段</translation>
    </message>
    <message>
        <location filename="../core/chat/import_chat.py" line="151"/>
        <source>{where}&apos;s title</source>
        <translation>{where}的标题</translation>
    </message>
    <message>
        <location filename="../core/chat/import_chat.py" line="157"/>
        <source>{where}&apos;s updated_at</source>
        <translation>{where}的 updated_at 字段</translation>
    </message>
    <message>
        <location filename="../core/chat/import_chat.py" line="159"/>
        <source>{where}&apos;s model</source>
        <translation>{where}的模型</translation>
    </message>
    <message>
        <location filename="../core/chat/import_chat.py" line="161"/>
        <source>{where}&apos;s backend</source>
        <translation>{where}的后端</translation>
    </message>
    <message>
        <location filename="../core/chat/import_chat.py" line="165"/>
        <source>{where}&apos;s system prompt</source>
        <translation>{where}的系统提示词</translation>
    </message>
    <message>
        <location filename="../core/chat/import_chat.py" line="168"/>
        <source>{where}&apos;s options</source>
        <translation>{where}的选项</translation>
    </message>
    <message>
        <location filename="../core/chat/import_chat.py" line="172"/>
        <source>message {number} of {where}</source>
        <translation>{where}的第 {number} 条消息</translation>
    </message>
    <message>
        <location filename="../core/chat/import_chat.py" line="183"/>
        <source>The export&apos;s {where} has an unknown role.</source>
        <translation>导出文件中{where}的角色未知。</translation>
    </message>
    <message>
        <location filename="../core/chat/import_chat.py" line="186"/>
        <source>The export&apos;s {where} has an unknown state.</source>
        <translation>导出文件中{where}的状态未知。</translation>
    </message>
    <message>
        <location filename="../core/chat/import_chat.py" line="190"/>
        <source>The export&apos;s {where} has images that are not a list.</source>
        <translation>导出文件中{where}的图片不是列表。</translation>
    </message>
    <message>
        <location filename="../core/chat/import_chat.py" line="194"/>
        <source>{where}&apos;s text</source>
        <translation>{where}的文本</translation>
    </message>
    <message>
        <location filename="../core/chat/import_chat.py" line="197"/>
        <source>{where}&apos;s stats</source>
        <translation>{where}的统计信息</translation>
    </message>
    <message>
        <location filename="../core/chat/import_chat.py" line="198"/>
        <source>{where}&apos;s error</source>
        <translation>{where}的错误信息</translation>
    </message>
    <message>
        <location filename="../core/chat/import_chat.py" line="202"/>
        <source>image {number} of {where}</source>
        <translation>{where}的第 {number} 张图片</translation>
    </message>
    <message>
        <location filename="../core/chat/import_chat.py" line="212"/>
        <source>The export&apos;s {where} has no valid sha256.</source>
        <translation>导出文件中{where}没有有效的 sha256。</translation>
    </message>
    <message>
        <location filename="../core/chat/import_chat.py" line="217"/>
        <source>The export&apos;s {where} is not a PNG, JPEG or WebP image.</source>
        <translation>导出文件中{where}不是 PNG、JPEG 或 WebP 图片。</translation>
    </message>
    <message>
        <location filename="../core/chat/import_chat.py" line="222"/>
        <source>The export&apos;s {where} was left out when it was exported, so it cannot be imported.</source>
        <translation>导出文件中{where}在导出时被略去了，因此无法导入。</translation>
    </message>
    <message>
        <location filename="../core/chat/import_chat.py" line="231"/>
        <source>The export&apos;s {where} ({file}) is not the image the export names: its content was changed or replaced.</source>
        <translation>导出文件中{where}（{file}）与导出文件所记录的图片不符：其内容已被修改或替换。</translation>
    </message>
    <message>
        <location filename="../core/chat/import_chat.py" line="240"/>
        <source>The export&apos;s {where} ({file}) is not a {mime} file.</source>
        <translation>导出文件中{where}（{file}）不是 {mime} 文件。</translation>
    </message>
    <message>
        <location filename="../core/chat/import_chat.py" line="251"/>
        <source>The export&apos;s {where} cannot be used: {reason}</source>
        <translation>导出文件中{where}无法使用：{reason}</translation>
    </message>
    <message>
        <location filename="../core/chat/import_chat.py" line="268"/>
        <source>The export&apos;s {where} points outside the export&apos;s images folder ({file}); it is not read.</source>
        <translation>导出文件中{where}指向导出文件的图片文件夹之外（{file}），不会读取。</translation>
    </message>
    <message>
        <location filename="../core/chat/import_chat.py" line="277"/>
        <source>The export&apos;s {where} ({file}) is missing.</source>
        <translation>导出文件中{where}（{file}）不存在。</translation>
    </message>
    <message>
        <location filename="../core/chat/import_chat.py" line="283"/>
        <source>The export&apos;s {where} ({file}) is too large to be an image.</source>
        <translation>导出文件中{where}（{file}）太大，不可能是图片。</translation>
    </message>
    <message>
        <location filename="../core/chat/import_chat.py" line="292"/>
        <source>The export&apos;s {where} ({file}) cannot be read ({reason}).</source>
        <translation>无法读取导出文件中{where}（{file}）：{reason}。</translation>
    </message>
    <message>
        <location filename="../core/chat/import_chat.py" line="304"/>
        <source>The export&apos;s {where} is not text.</source>
        <translation>导出文件中{where}不是文本。</translation>
    </message>
    <message>
        <location filename="../core/chat/import_chat.py" line="306"/>
        <source>The export&apos;s {where} holds a NUL character.</source>
        <translation>导出文件中{where}含有 NUL 字符。</translation>
    </message>
    <message>
        <location filename="../core/chat/import_chat.py" line="317"/>
        <source>The export&apos;s {where} has a finish_reason that is not a short word.</source>
        <translation>导出文件中{where}的 finish_reason 不是一个简短的词。</translation>
    </message>
    <message>
        <location filename="../core/chat/import_chat.py" line="328"/>
        <source>The export&apos;s {where} has a token_limit that is not a count.</source>
        <translation>导出文件中{where}的 token_limit 不是有效的数量。</translation>
    </message>
    <message>
        <location filename="../core/chat/import_chat.py" line="335"/>
        <source>The export&apos;s {where} is not a time.</source>
        <translation>导出文件中{where}不是时间。</translation>
    </message>
    <message>
        <location filename="../core/chat/import_chat.py" line="341"/>
        <source>The export&apos;s {where} is not a time ({value}).</source>
        <translation>导出文件中{where}不是时间（{value}）。</translation>
    </message>
    <message>
        <location filename="../core/chat/import_chat.py" line="360"/>
        <location filename="../core/chat/import_chat.py" line="393"/>
        <source>The export&apos;s {where} are not an object.</source>
        <translation>导出文件中{where}不是 JSON 对象。</translation>
    </message>
    <message>
        <location filename="../core/chat/import_chat.py" line="369"/>
        <source>The export&apos;s {where} have a stop list that is not text.</source>
        <translation>导出文件中{where}的 stop 列表含有非文本的项。</translation>
    </message>
    <message>
        <location filename="../core/chat/import_chat.py" line="375"/>
        <location filename="../core/chat/import_chat.py" line="402"/>
        <source>The export&apos;s {where} have a {name} that is not a number.</source>
        <translation>导出文件中{where}的 {name} 不是数字。</translation>
    </message>
    <message>
        <location filename="../core/chat/import_chat.py" line="385"/>
        <source>The export&apos;s {where} ask for no room to answer.</source>
        <translation>导出文件中{where}没有给回答留出任何空间。</translation>
    </message>
    <message>
        <location filename="../core/chat/session.py" line="155"/>
        <source>There is nothing to answer yet: send a message first.</source>
        <extracomment>The promise made to the user: never more than this much of a streamed answer at risk. The assistant&apos;s &apos;streaming&apos; row exists (its id is where the answer will be saved). The final row: complete, interrupted (stopped) or error. Something the person should know about how the answer came about (``Done.notice``, e.g. the engine switched CPU variant); called before ``on_finished``.</extracomment>
        <translation>还没有可回答的内容：请先发送一条消息。</translation>
    </message>
    <message>
        <location filename="../core/chat/session.py" line="184"/>
        <source>Only your own messages in this conversation can be edited.</source>
        <translation>只能编辑此对话中你自己发送的消息。</translation>
    </message>
    <message>
        <location filename="../core/chat/session.py" line="216"/>
        <source>Only the last answer of the chat can be continued, once it has text.</source>
        <translation>只能继续对话中的最后一条回答，且该回答须已有内容。</translation>
    </message>
    <message>
        <location filename="../core/chat/session.py" line="345"/>
        <source>{kind}: {error}</source>
        <translation>{kind}：{error}</translation>
    </message>
    <message>
        <location filename="../core/chat/session.py" line="474"/>
        <source>LocalSight is still answering in this conversation. Stop the answer or wait for it to finish, then send again.</source>
        <translation>LocalSight 仍在回答此对话。请停止回答或等它完成，然后再发送。</translation>
    </message>
    <message>
        <location filename="../core/describe/output.py" line="84"/>
        <source>Unknown format {format}; use jsonl or csv.</source>
        <translation>未知格式 {format}；请使用 jsonl 或 csv。</translation>
    </message>
    <message>
        <location filename="../core/describe/output.py" line="100"/>
        <source>it does not start like one</source>
        <translation>文件开头不像结果文件</translation>
    </message>
    <message>
        <location filename="../core/describe/output.py" line="191"/>
        <source>its first line is not a result row</source>
        <translation>第一行不是结果行</translation>
    </message>
    <message>
        <location filename="../core/describe/output.py" line="224"/>
        <source>its header is not {header}</source>
        <translation>表头不是 {header}</translation>
    </message>
    <message>
        <location filename="../core/describe/output.py" line="242"/>
        <source>{path} is not a describe result file ({why}); choose another --out.</source>
        <translation>{path} 不是描述结果文件（{why}）；请用 --out 指定其他文件。</translation>
    </message>
    <message>
        <location filename="../core/describe/run.py" line="115"/>
        <source>{path} does not exist.</source>
        <translation>{path} 不存在。</translation>
    </message>
    <message>
        <location filename="../core/describe/batch.py" line="121"/>
        <location filename="../core/describe/batch.py" line="302"/>
        <location filename="../core/describe/pool.py" line="383"/>
        <location filename="../core/describe/run.py" line="176"/>
        <source>{name} cannot be read.</source>
        <extracomment>The dialects of extra sampling parameters; ``openai`` sends the OpenAI ones only.</extracomment>
        <translation>无法读取 {name}。</translation>
    </message>
    <message>
        <location filename="../core/describe/batch.py" line="292"/>
        <source>The batch request failed: {detail}</source>
        <translation>批处理请求失败：{detail}</translation>
    </message>
    <message>
        <location filename="../core/downloads/errors.py" line="113"/>
        <source>No internet connection: the download needs one ({host} could not be found). Connect to the internet and try again; what was downloaded so far is kept.</source>
        <translation>没有网络连接：下载需要联网（找不到 {host}）。请连接网络后重试；已下载的部分会保留。</translation>
    </message>
    <message>
        <location filename="../core/downloads/errors.py" line="119"/>
        <source>No internet connection: the download needs one ({host} cannot be reached from this network). Connect to the internet and try again; what was downloaded so far is kept.</source>
        <translation>没有网络连接：下载需要联网（从当前网络无法访问 {host}）。请连接网络后重试；已下载的部分会保留。</translation>
    </message>
    <message>
        <location filename="../core/downloads/errors.py" line="126"/>
        <source>The secure connection to {host} could not be checked. Check that this computer&apos;s date and time are right, or whether a proxy or firewall intercepts connections, then try again.</source>
        <translation>无法验证与 {host} 的安全连接。请检查这台电脑的日期和时间是否正确，或是否有代理或防火墙拦截了连接，然后重试。</translation>
    </message>
    <message>
        <location filename="../core/downloads/errors.py" line="133"/>
        <source>{host} refused the connection: the server is not running or blocks it. Try again later.</source>
        <translation>{host} 拒绝了连接：服务器未运行或阻止了连接。请稍后重试。</translation>
    </message>
    <message>
        <location filename="../core/downloads/errors.py" line="143"/>
        <source>{host} did not answer in time: the connection may be slow or down. Try again; what was downloaded so far is kept.</source>
        <translation>{host} 没有及时响应：网络可能很慢或已断开。请重试；已下载的部分会保留。</translation>
    </message>
    <message>
        <location filename="../core/downloads/errors.py" line="149"/>
        <source>The connection to {host} was cut off. Try again; the download resumes.</source>
        <translation>与 {host} 的连接中断了。请重试，下载会接着继续。</translation>
    </message>
    <message>
        <location filename="../core/downloads/errors.py" line="152"/>
        <source>The connection to {host} failed. Check the internet connection and try again; what was downloaded so far is kept.</source>
        <translation>连接 {host} 失败。请检查网络连接后重试；已下载的部分会保留。</translation>
    </message>
    <message>
        <location filename="../core/downloads/fetch.py" line="262"/>
        <location filename="../core/downloads/fetch.py" line="447"/>
        <location filename="../core/downloads/fetch.py" line="506"/>
        <source>The download was cancelled.</source>
        <translation>下载已取消。</translation>
    </message>
    <message>
        <location filename="../core/downloads/fetch.py" line="301"/>
        <source>Another download into {folder} is running (in another window or a terminal). Wait for it to finish, or cancel it.</source>
        <translation>另一个下载正在写入 {folder}（在另一个窗口或终端中）。请等它完成，或将其取消。</translation>
    </message>
    <message>
        <location filename="../core/downloads/fetch.py" line="319"/>
        <source>The disk holding {folder} is full: {name} stopped at {done} of {total}. Free some space and download again; it resumes where it stopped.</source>
        <translation>{folder} 所在的磁盘已满：{name} 在 {done}（共 {total}）处停止。请清理一些空间后重新下载，下载会从停止处继续。</translation>
    </message>
    <message>
        <location filename="../core/downloads/fetch.py" line="329"/>
        <source>The disk holding {folder} is full: {name} stopped at {done}. Free some space and download again; it resumes where it stopped.</source>
        <translation>{folder} 所在的磁盘已满：{name} 在 {done} 处停止。请清理一些空间后重新下载，下载会从停止处继续。</translation>
    </message>
    <message>
        <location filename="../core/downloads/fetch.py" line="398"/>
        <source>Too many redirects while fetching {url}.</source>
        <translation>获取 {url} 时重定向次数过多。</translation>
    </message>
    <message>
        <location filename="../core/downloads/fetch.py" line="405"/>
        <source>{what} was not found on {host} (HTTP 404). The repository or file may have been renamed or removed; update LocalSight&apos;s catalog or check the name.</source>
        <translation>在 {host} 上找不到 {what}（HTTP 404）。该仓库或文件可能已被重命名或删除；请更新 LocalSight 的模型目录，或检查名称。</translation>
    </message>
    <message>
        <location filename="../core/downloads/fetch.py" line="415"/>
        <source>{what} needs permission (HTTP {status}): the repository may be gated. Accept its licence on the Hugging Face website and set HF_TOKEN, then try again.</source>
        <translation>{what} 需要访问权限（HTTP {status}）：该仓库可能需要申请访问。请在 Hugging Face 网站上接受其许可协议并设置 HF_TOKEN，然后重试。</translation>
    </message>
    <message>
        <location filename="../core/downloads/fetch.py" line="424"/>
        <source>The server answered HTTP {status} for {what}. Try again later.</source>
        <translation>服务器对 {what} 返回了 HTTP {status}。请稍后重试。</translation>
    </message>
    <message>
        <location filename="../core/downloads/fetch.py" line="511"/>
        <source>not a folder</source>
        <translation>不是文件夹</translation>
    </message>
    <message>
        <location filename="../core/downloads/fetch.py" line="527"/>
        <source>The hub&apos;s {name} (sha256 {hub}…) is not the file LocalSight&apos;s catalog expects (sha256 {catalog}…); nothing was downloaded. The repository changed: update LocalSight.</source>
        <translation>服务器上的 {name}（sha256 {hub}…）不是 LocalSight 模型目录所要求的文件（sha256 {catalog}…）；未下载任何内容。该仓库已有变动：请更新 LocalSight。</translation>
    </message>
    <message>
        <location filename="../core/downloads/fetch.py" line="598"/>
        <source>{name} arrived damaged (got sha256 {got}… and {size} bytes, expected sha256 {expected}…). The bad copy was deleted; download it again.</source>
        <translation>{name} 下载后已损坏（收到 sha256 {got}…，{size} 字节；应为 sha256 {expected}…）。损坏的副本已删除，请重新下载。</translation>
    </message>
    <message>
        <location filename="../core/downloads/fetch.py" line="607"/>
        <source>{name} arrived damaged (got sha256 {got}… and {size} bytes, expected {expected} bytes). The bad copy was deleted; download it again.</source>
        <translation>{name} 下载后已损坏（收到 sha256 {got}…，{size} 字节；应为 {expected} 字节）。损坏的副本已删除，请重新下载。</translation>
    </message>
    <message>
        <location filename="../core/downloads/fetch.py" line="637"/>
        <source>the server did not honour the requested range</source>
        <translation>服务器没有按请求的范围返回数据</translation>
    </message>
    <message>
        <location filename="../core/downloads/fetch.py" line="644"/>
        <source>{problem} ({name}: {kept} kept: the download resumes where it stopped.)</source>
        <translation>{problem}（{name}：已保留 {kept}，下载会从停止处继续。）</translation>
    </message>
    <message>
        <location filename="../core/downloads/fetch.py" line="655"/>
        <source>the body ended early</source>
        <translation>数据提前结束</translation>
    </message>
    <message>
        <location filename="../core/downloads/fetch.py" line="659"/>
        <source>The connection kept failing while downloading {name} ({problem}); {kept} is kept. Try again: the download resumes where it stopped.</source>
        <translation>下载 {name} 时连接反复失败（{problem}）；已保留 {kept}。请重试，下载会从停止处继续。</translation>
    </message>
    <message>
        <location filename="../core/downloads/fetch.py" line="751"/>
        <source>The download needs {needed} more, but the disk holding {folder} has only {free} free. Free some space or choose another models folder.</source>
        <translation>下载还需要 {needed}，但 {folder} 所在的磁盘只有 {free} 可用。请清理一些空间，或选择其他模型文件夹。</translation>
    </message>
    <message>
        <location filename="../core/downloads/fetch.py" line="763"/>
        <source>The download was cancelled; {kept} of {name} is kept and the next download resumes from there.</source>
        <translation>下载已取消；{name} 已下载的 {kept} 会保留，下次下载从那里继续。</translation>
    </message>
    <message>
        <location filename="../core/downloads/fetch.py" line="779"/>
        <source>the file name {name}</source>
        <translation>文件名 {name}</translation>
    </message>
    <message>
        <location filename="../core/downloads/fetch.py" line="784"/>
        <source>it is not org/name</source>
        <translation>它不是 org/name 格式</translation>
    </message>
    <message>
        <location filename="../core/downloads/fetch.py" line="785"/>
        <source>the repository {name}</source>
        <translation>仓库 {name}</translation>
    </message>
    <message>
        <location filename="../core/downloads/fetch.py" line="787"/>
        <source>it is not a branch, tag or commit</source>
        <translation>它不是分支、标签或提交</translation>
    </message>
    <message>
        <location filename="../core/downloads/fetch.py" line="788"/>
        <source>the revision {name}</source>
        <translation>版本 {name}</translation>
    </message>
    <message>
        <location filename="../core/downloads/fetch.py" line="792"/>
        <source>Refusing to download: {what} could name another file ({problem}); nothing was downloaded. Update LocalSight&apos;s catalog or fix the name.</source>
        <translation>拒绝下载：{what} 可能指向其他文件（{problem}）；未下载任何内容。请更新 LocalSight 的模型目录，或修正名称。</translation>
    </message>
    <message>
        <location filename="../core/downloads/fetch.py" line="803"/>
        <source>{path} is in the way of the download ({kind}). Move or delete it, then download again.</source>
        <translation>{path} 占用了下载要写入的位置（{kind}）。请移走或删除它，然后重新下载。</translation>
    </message>
    <message>
        <location filename="../core/downloads/fetch.py" line="826"/>
        <source>a folder</source>
        <translation>文件夹</translation>
    </message>
    <message>
        <location filename="../core/downloads/fetch.py" line="828"/>
        <source>a symbolic link</source>
        <translation>符号链接</translation>
    </message>
    <message>
        <location filename="../core/downloads/fetch.py" line="829"/>
        <source>not a regular file</source>
        <translation>不是普通文件</translation>
    </message>
    <message>
        <location filename="../core/downloads/hub.py" line="62"/>
        <source>Refusing to download from {url}: model downloads use https only (plain http is allowed only to this computer&apos;s own loopback address). Check HF_ENDPOINT.</source>
        <translation>拒绝从 {url} 下载：模型只通过 https 下载（仅在连接本机的回环地址时允许使用普通 http）。请检查 HF_ENDPOINT。</translation>
    </message>
    <message>
        <location filename="../core/images.py" line="137"/>
        <source>JPEG, PNG, WebP, GIF, BMP and TIFF</source>
        <extracomment>Extensions of the formats every installation reads; for file-dialog filters.</extracomment>
        <translation>JPEG、PNG、WebP、GIF、BMP 和 TIFF</translation>
    </message>
    <message>
        <location filename="../core/images.py" line="259"/>
        <source>{name} is too large to open with the memory available; scale it down first.</source>
        <extracomment>The largest width or height a JPEG frame header can state (16 bits). What the sniffer reads from the start of data no decoder accepted. Rows are converted, reduced and resized horizontally this many bytes (at 4 a pixel) at a time. ``reduce()`` down to no less than this many times the target, then LANCZOS: Pillow&apos;s own ``reducing_gap`` (2.0 is within a rounding error of a LANCZOS-only resize, and far faster).</extracomment>
        <translation>{name} 太大，现有内存无法打开；请先缩小图片。</translation>
    </message>
    <message>
        <location filename="../core/images.py" line="268"/>
        <location filename="../core/images.py" line="648"/>
        <location filename="../core/images.py" line="650"/>
        <location filename="../core/images.py" line="1123"/>
        <location filename="../core/images.py" line="1133"/>
        <location filename="../core/images.py" line="1153"/>
        <location filename="../core/images.py" line="1356"/>
        <location filename="../core/images.py" line="1376"/>
        <location filename="../core/images.py" line="1386"/>
        <source>{name} is damaged or truncated.</source>
        <extracomment>Python objects Pillow keeps per tile (an uncompressed TIFF has one per strip or tile). Beside the image, per pixel, for an animated WebP or where libwebp cannot be called directly (:func:`_libwebp`): the animation decoder&apos;s two RGBA canvases (the current and the previous frame, both touched) and the bytes of the decoded frame handed to Pillow. Measured: a 9400×9400 WebP, still or animated, lossy or lossless, peaks at 16.0 bytes a pixel; a 4032×3024 lossy one at 196 MB for the whole normalisation. Beside the image, per pixel, for a still lossless (VP8L) WebP decoded by :func:`_decode_still_webp`: libwebp&apos;s own ARGB buffer of the whole image. A lossy one decodes a row of macroblocks at a time into the image. Measured, 4032×3024 (12.2 MP), whole normalisation: lossy 66 MB, lossless 118 MB (a 20 MB file; estimated 159 MB, as the three copies of the file while Pillow opens it are charged in full). AVIF / HEIF, beside the image, per pixel: the RGB(A) output libavif converts to and its copy into bytes for Pillow (3.5 bytes a pixel for RGB, 5 for RGBA), plus 1.2 bytes for each byte of the decoded YUV(A) planes (dav1d&apos;s picture and its pool). Fitted to 4032×3024 (12.2 MP) files, whole normalisation (the estimate / the measured peak): 8-bit RGB 4:2:0 116 / 114 MB, RGB 4:4:4 138 / 135 MB, RGBA 4:2:0 154 / 144 MB, RGBA 4:4:4 174 / 165 MB. 10- and 12-bit planes take 2 bytes a sample (not measured: Pillow cannot write them). How far into an AVIF / HEIF file :func:`_heif_layout` looks for the ``meta`` box, and how many boxes it reads: the item properties sit in the first few hundred bytes of a still-image file; anything else is charged the worst case. The worst case: 4:4:4 (three full planes) at 2 bytes a sample. Strips or tiles a TIFF may list. Opening an uncompressed TIFF, Pillow builds a Python tile (~400 bytes) for each strip or tile its directory lists, and libtiff keeps two 8-byte offsets for each: 131 072 of them are ~50 MB. A 42 000-row image (the longest the pixel guard and the aspect limit admit) stored a row per strip needs 42 000. Values a tag that Pillow unpacks while opening may hold (as a tuple of Python ints); a 16-bit colour map, the largest legitimate one, has 196 608.</extracomment>
        <translation>{name} 已损坏或不完整。</translation>
    </message>
    <message>
        <location filename="../core/images.py" line="290"/>
        <source>A thumbnail cannot be made from {mime} data.</source>
        <translation>无法为 {mime} 数据生成缩略图。</translation>
    </message>
    <message>
        <location filename="../core/images.py" line="300"/>
        <location filename="../core/images.py" line="347"/>
        <source>The image</source>
        <translation>该图片</translation>
    </message>
    <message>
        <location filename="../core/images.py" line="309"/>
        <source>The image is damaged, so no thumbnail could be made.</source>
        <translation>图片已损坏，无法生成缩略图。</translation>
    </message>
    <message>
        <location filename="../core/images.py" line="363"/>
        <location filename="../core/images.py" line="388"/>
        <source>{name} is a folder, not an image.</source>
        <translation>{name} 是文件夹，不是图片。</translation>
    </message>
    <message>
        <location filename="../core/images.py" line="367"/>
        <source>{name} is not a regular file, so LocalSight will not read it as an image.</source>
        <translation>{name} 不是普通文件，LocalSight 不会把它当作图片读取。</translation>
    </message>
    <message>
        <location filename="../core/images.py" line="383"/>
        <source>{name} was not found; it may have been moved or deleted.</source>
        <translation>找不到 {name}，它可能已被移动或删除。</translation>
    </message>
    <message>
        <location filename="../core/images.py" line="393"/>
        <source>LocalSight is not allowed to read {name}; check the file&apos;s permissions.</source>
        <translation>LocalSight 无权读取 {name}，请检查文件权限。</translation>
    </message>
    <message>
        <location filename="../core/images.py" line="401"/>
        <source>{name} could not be read ({reason}).</source>
        <translation>无法读取 {name}（{reason}）。</translation>
    </message>
    <message>
        <location filename="../core/images.py" line="409"/>
        <source>{name} is empty (0 bytes), so there is no image in it.</source>
        <translation>{name} 是空文件（0 字节），里面没有图片。</translation>
    </message>
    <message>
        <location filename="../core/images.py" line="424"/>
        <source>{name} is too large to open safely ({size} MB; the limit is {limit} MB).</source>
        <translation>{name} 太大，无法安全打开（{size} MB，上限为 {limit} MB）。</translation>
    </message>
    <message>
        <location filename="../core/images.py" line="657"/>
        <source>{name} is too long and thin for vision models ({width}×{height}, more than {ratio}:1); crop it into smaller pieces first.</source>
        <translation>{name} 过于细长，视觉模型无法处理（{width}×{height}，长宽比超过 {ratio}:1）；请先把它裁成几小块。</translation>
    </message>
    <message>
        <location filename="../core/images.py" line="679"/>
        <source>{name} is too large to open safely (more than the {limit} megapixels allowed); scale it down or save it as a JPEG first.</source>
        <translation>{name} 太大，无法安全打开（超过允许的 {limit} 百万像素）；请先缩小，或另存为 JPEG。</translation>
    </message>
    <message>
        <location filename="../core/images.py" line="686"/>
        <source>{name} is too large to open safely ({pixels} megapixels, more than the {limit} megapixels allowed); scale it down or save it as a JPEG first.</source>
        <translation>{name} 太大，无法安全打开（{pixels} 百万像素，超过允许的 {limit} 百万像素）；请先缩小，或另存为 JPEG。</translation>
    </message>
    <message>
        <location filename="../core/images.py" line="702"/>
        <source>{name} is too large to open safely (opening it would take {needed} MB of memory, more than the {limit} MB allowed); convert it to JPEG or PNG, or scale it down first.</source>
        <translation>{name} 太大，无法安全打开（打开它需要 {needed} MB 内存，超过允许的 {limit} MB）；请先转换为 JPEG 或 PNG，或缩小图片。</translation>
    </message>
    <message>
        <location filename="../core/images.py" line="711"/>
        <source>{name} is too large to open safely (opening it would take {needed} MB of memory, more than the {limit} MB allowed); scale it down first.</source>
        <translation>{name} 太大，无法安全打开（打开它需要 {needed} MB 内存，超过允许的 {limit} MB）；请先缩小图片。</translation>
    </message>
    <message>
        <location filename="../core/images.py" line="1157"/>
        <source>{name} is split into too many pieces to open safely ({count} strips or tiles); save it again as PNG first.</source>
        <translation>{name} 被分成的块太多，无法安全打开（{count} 个条带或图块）；请先重新另存为 PNG。</translation>
    </message>
    <message>
        <location filename="../core/images.py" line="1189"/>
        <source>{name} uses a colour format LocalSight cannot convert ({mode}).</source>
        <translation>{name} 使用了 LocalSight 无法转换的颜色格式（{mode}）。</translation>
    </message>
    <message>
        <location filename="../core/images.py" line="1315"/>
        <location filename="../core/images.py" line="1316"/>
        <source>a PostScript (EPS) file</source>
        <translation>一个 PostScript（EPS）文件</translation>
    </message>
    <message>
        <location filename="../core/images.py" line="1317"/>
        <source>a PDF document</source>
        <translation>一份 PDF 文档</translation>
    </message>
    <message>
        <location filename="../core/images.py" line="1318"/>
        <source>a ZIP archive or an office document</source>
        <translation>一个 ZIP 压缩包或办公文档</translation>
    </message>
    <message>
        <location filename="../core/images.py" line="1319"/>
        <source>a GGUF model file</source>
        <translation>一个 GGUF 模型文件</translation>
    </message>
    <message>
        <location filename="../core/images.py" line="1320"/>
        <location filename="../core/images.py" line="1321"/>
        <source>a program</source>
        <translation>一个程序</translation>
    </message>
    <message>
        <location filename="../core/images.py" line="1322"/>
        <source>a Photoshop (PSD) file</source>
        <translation>一个 Photoshop（PSD）文件</translation>
    </message>
    <message>
        <location filename="../core/images.py" line="1323"/>
        <source>a macOS icon (ICNS) file</source>
        <translation>一个 macOS 图标（ICNS）文件</translation>
    </message>
    <message>
        <location filename="../core/images.py" line="1324"/>
        <source>a QOI image</source>
        <translation>一张 QOI 图片</translation>
    </message>
    <message>
        <location filename="../core/images.py" line="1325"/>
        <location filename="../core/images.py" line="1326"/>
        <source>a JPEG 2000 image</source>
        <translation>一张 JPEG 2000 图片</translation>
    </message>
    <message>
        <location filename="../core/images.py" line="1327"/>
        <location filename="../core/images.py" line="1328"/>
        <source>a JPEG XL image</source>
        <translation>一张 JPEG XL 图片</translation>
    </message>
    <message>
        <location filename="../core/images.py" line="1348"/>
        <source>{name} is {description}, which LocalSight cannot read; convert it to PNG or JPEG first.</source>
        <translation>{name} 是{description}，LocalSight 无法读取；请先转换为 PNG 或 JPEG。</translation>
    </message>
    <message>
        <location filename="../core/images.py" line="1366"/>
        <location filename="../core/images.py" line="1396"/>
        <location filename="../core/images.py" line="1411"/>
        <location filename="../core/images.py" line="1418"/>
        <source>{name} is not an image: it looks like {description}.</source>
        <translation>{name} 不是图片，看起来是{description}。</translation>
    </message>
    <message>
        <location filename="../core/images.py" line="1379"/>
        <source>{name} is an AVIF image, which this installation of LocalSight cannot read; convert it to PNG or JPEG first.</source>
        <translation>{name} 是 AVIF 图片，当前安装的 LocalSight 无法读取；请先转换为 PNG 或 JPEG。</translation>
    </message>
    <message>
        <location filename="../core/images.py" line="1389"/>
        <source>{name} is a HEIC photo, which this installation of LocalSight cannot read; convert it to JPEG first.</source>
        <translation>{name} 是 HEIC 照片，当前安装的 LocalSight 无法读取；请先转换为 JPEG。</translation>
    </message>
    <message>
        <location filename="../core/images.py" line="1398"/>
        <source>a video file</source>
        <translation>一个视频文件</translation>
    </message>
    <message>
        <location filename="../core/images.py" line="1402"/>
        <source>a TGA image</source>
        <translation>一张 TGA 图片</translation>
    </message>
    <message>
        <location filename="../core/images.py" line="1407"/>
        <source>an SVG drawing</source>
        <translation>一幅 SVG 矢量图</translation>
    </message>
    <message>
        <location filename="../core/images.py" line="1413"/>
        <source>a web page (HTML)</source>
        <translation>一个网页（HTML）</translation>
    </message>
    <message>
        <location filename="../core/images.py" line="1420"/>
        <source>a text file</source>
        <translation>一个文本文件</translation>
    </message>
    <message>
        <location filename="../core/images.py" line="1425"/>
        <source>{name} is not an image LocalSight can read (it reads {formats}).</source>
        <translation>{name} 不是 LocalSight 能读取的图片（支持 {formats}）。</translation>
    </message>
    <message>
        <location filename="../core/images.py" line="1444"/>
        <source>a Windows icon (ICO) file</source>
        <translation>一个 Windows 图标（ICO）文件</translation>
    </message>
    <message>
        <location filename="../core/images.py" line="1444"/>
        <source>a Windows cursor file</source>
        <translation>一个 Windows 光标文件</translation>
    </message>
    <message>
        <location filename="../core/models/catalog.py" line="124"/>
        <source>There is no catalog model called {model}. Choose one of: {choices}.</source>
        <translation>目录中没有名为 {model} 的模型。请从以下选项中选择：{choices}。</translation>
    </message>
    <message>
        <location filename="../core/models/factory.py" line="92"/>
        <source>Unknown backend {backend}. Choose one of: {choices}.</source>
        <translation>未知的后端 {backend}。请从以下选项中选择：{choices}。</translation>
    </message>
    <message>
        <location filename="../core/models/factory.py" line="138"/>
        <source>The server lists no models. Load one in it (LM Studio: load a model; vLLM and llama-server: start them with a model), or name one with --model.</source>
        <translation>服务器没有列出任何模型。请在服务器中加载一个（LM Studio：加载模型；vLLM 和 llama-server：启动时指定模型），或用 --model 指定模型。</translation>
    </message>
    <message>
        <location filename="../core/models/factory.py" line="145"/>
        <source>Ollama has no models yet. Pull one, for example: {command}</source>
        <translation>Ollama 中还没有模型。请先拉取一个，例如：{command}</translation>
    </message>
    <message>
        <location filename="../core/models/factory.py" line="151"/>
        <source>No model is installed. Put a .gguf file in the models folder or pass --model PATH.</source>
        <translation>尚未安装任何模型。请把 .gguf 文件放进模型文件夹，或用 --model PATH 指定模型。</translation>
    </message>
    <message>
        <location filename="../core/models/fit.py" line="86"/>
        <location filename="../core/models/fit.py" line="236"/>
        <source>fits</source>
        <translation>可运行</translation>
    </message>
    <message>
        <location filename="../core/models/fit.py" line="87"/>
        <location filename="../core/models/fit.py" line="237"/>
        <source>tight</source>
        <translation>勉强可运行</translation>
    </message>
    <message>
        <location filename="../core/models/fit.py" line="88"/>
        <source>too big</source>
        <translation>过大</translation>
    </message>
    <message>
        <location filename="../core/models/fit.py" line="103"/>
        <source>needs {need} of disk, {free} is free</source>
        <translation>需要 {need} 磁盘空间，可用 {free}</translation>
    </message>
    <message>
        <location filename="../core/models/fit.py" line="106"/>
        <source>needs {need} of disk and would leave less than {reserve} of the {free} free</source>
        <translation>需要 {need} 磁盘空间，下载后剩余将不足 {reserve}（当前可用 {free}）</translation>
    </message>
    <message>
        <location filename="../core/models/fit.py" line="113"/>
        <source>needs {need} of disk but only {free} is free: free some space or choose another models folder</source>
        <translation>需要 {need} 磁盘空间，但只有 {free} 可用：请清理空间或选择其他模型文件夹</translation>
    </message>
    <message>
        <location filename="../core/models/fit.py" line="120"/>
        <source>needs about {need} of memory, {free} is free</source>
        <translation>约需 {need} 内存，可用 {free}</translation>
    </message>
    <message>
        <location filename="../core/models/fit.py" line="123"/>
        <source>needs about {need} of memory and {free} is free now: close other programs before loading it</source>
        <translation>约需 {need} 内存，当前可用 {free}：加载前请关闭其他程序</translation>
    </message>
    <message>
        <location filename="../core/models/fit.py" line="131"/>
        <source>needs about {need} of memory; this machine has {total} and the system keeps about {reserve} of it: choose a smaller model</source>
        <translation>约需 {need} 内存；这台电脑共有 {total}，系统约占用 {reserve}：请选择更小的模型</translation>
    </message>
    <message>
        <location filename="../core/models/fit.py" line="139"/>
        <source>needs about {need} of memory, only {free} is free: choose a smaller model</source>
        <translation>约需 {need} 内存，但只有 {free} 可用：请选择更小的模型</translation>
    </message>
    <message>
        <location filename="../core/models/fit.py" line="232"/>
        <source>no disk space</source>
        <translation>磁盘空间不足</translation>
    </message>
    <message>
        <location filename="../core/models/fit.py" line="238"/>
        <source>will not fit</source>
        <translation>内存不足</translation>
    </message>
    <message>
        <location filename="../core/models/fit.py" line="246"/>
        <source>{memory}; {disk}</source>
        <translation>{memory}；{disk}</translation>
    </message>
    <message>
        <location filename="../core/models/library.py" line="240"/>
        <source>{model} {reason}.</source>
        <translation>{model} {reason}。</translation>
    </message>
    <message>
        <location filename="../core/models/library.py" line="245"/>
        <source>{model} {reason}. Nothing was downloaded. Pick a smaller model, or download it anyway (--anyway) to use on another machine.</source>
        <translation>{model} {reason}。未下载任何内容。请选择更小的模型，或仍然下载（--anyway）以便在其他电脑上使用。</translation>
    </message>
    <message>
        <location filename="../core/models/openai_config.py" line="63"/>
        <source>There is no preset {preset}. Choose one of: {choices}.</source>
        <extracomment>PRESETS too: the Settings dialog lists them, and the window never imports a backend.</extracomment>
        <translation>没有名为 {preset} 的预设。请从以下选项中选择：{choices}。</translation>
    </message>
    <message>
        <location filename="../core/models/openai_config.py" line="106"/>
        <source>The environment variable {variable} (named for the API key) is not set or is empty. Set it to the server&apos;s key, or leave --api-key-env out.</source>
        <translation>用于提供 API 密钥的环境变量 {variable} 未设置或为空。请把它设为服务器的密钥，或去掉 --api-key-env。</translation>
    </message>
    <message>
        <location filename="../core/settings.py" line="120"/>
        <source>names no machine</source>
        <extracomment>A settings file is a few hundred bytes; one larger than this is not settings, and reading it whole would let a runaway file (or /dev/zero behind a link) take the memory. ggml&apos;s own ceiling (``GGML_MAX_N_THREADS`` in ggml.h); 10**9 made llama.cpp allocate per-thread state until ``std::bad_alloc`` aborted the process (issue 16). Fixed, not derived from this machine&apos;s cores: a file copied from a bigger machine stays valid, and the backend fits the count to the machine. The largest context or answer a setting may ask for: 2**20 tokens. Even the smallest model&apos;s cache for that (SmolLM2-135M: ~23 KB a token) is ~23 GB, more than a desktop holds. llama.cpp clamps to what the model was trained on, but a server backend takes the number as given, and one past int64 (JSON allows any) cannot even be sent. The backends the factory can build (``desktop_app.core.models.factory.BACKEND_NAMES``, which imports this module, so the names are restated here; a test keeps them equal). The window&apos;s appearance: follow the desktop&apos;s light/dark scheme, or always one of them. The window&apos;s language: follow the system&apos;s (Chinese for any ``zh`` locale, else English), or always English, or always Simplified Chinese (the one translation shipped). The conversation&apos;s text size, in percent of the desktop&apos;s font: Ctrl+= and Ctrl+- step by ``TEXT_SIZE_STEP``. Below 70 % a 9 pt desktop font is under 7 pt, which no one reads; above 200 % a code line of 40 characters no longer fits a 1024 px window&apos;s chat column.</extracomment>
        <translation>没有指明主机</translation>
    </message>
    <message>
        <location filename="../core/settings.py" line="127"/>
        <location filename="../core/settings.py" line="130"/>
        <source>has a port outside 1 to 65535</source>
        <translation>中的端口不在 1 到 65535 之间</translation>
    </message>
    <message>
        <location filename="../core/settings.py" line="128"/>
        <source>is not an address</source>
        <translation>不是有效的地址</translation>
    </message>
    <message>
        <location filename="../core/settings.py" line="132"/>
        <source>is not an http or https address</source>
        <translation>不是 http 或 https 地址</translation>
    </message>
    <message>
        <location filename="../core/settings.py" line="135"/>
        <source>names no valid machine</source>
        <translation>没有指明有效的主机</translation>
    </message>
    <message>
        <location filename="../core/settings.py" line="145"/>
        <source>is not one of {choices}</source>
        <translation>不是以下之一：{choices}</translation>
    </message>
    <message>
        <location filename="../core/settings.py" line="159"/>
        <source>is not an http or https server address</source>
        <translation>不是 http 或 https 服务器地址</translation>
    </message>
    <message>
        <location filename="../core/settings.py" line="164"/>
        <source>holds &quot;=&quot;, which no variable name can</source>
        <translation>含有变量名中不允许的“=”</translation>
    </message>
    <message>
        <location filename="../core/settings.py" line="176"/>
        <source>is empty</source>
        <translation>为空</translation>
    </message>
    <message>
        <location filename="../core/settings.py" line="235"/>
        <location filename="../core/settings.py" line="303"/>
        <location filename="../core/settings.py" line="312"/>
        <source>one of {choices}</source>
        <translation>以下之一：{choices}</translation>
    </message>
    <message>
        <location filename="../core/settings.py" line="244"/>
        <source>an Ollama address such as {example}</source>
        <translation>一个 Ollama 地址（如 {example}）</translation>
    </message>
    <message>
        <location filename="../core/settings.py" line="247"/>
        <source>{variable}, else {address}</source>
        <translation>{variable}，未设置时为 {address}</translation>
    </message>
    <message>
        <location filename="../core/settings.py" line="265"/>
        <source>automatic</source>
        <translation>自动</translation>
    </message>
    <message>
        <location filename="../core/settings.py" line="274"/>
        <source>the name of a preset</source>
        <translation>预设名称</translation>
    </message>
    <message>
        <location filename="../core/settings.py" line="280"/>
        <source>a server address such as {example}</source>
        <translation>服务器地址（如 {example}）</translation>
    </message>
    <message>
        <location filename="../core/settings.py" line="289"/>
        <source>the name of an environment variable</source>
        <translation>环境变量名</translation>
    </message>
    <message>
        <location filename="../../backends/llama_cpp/discovery.py" line="85"/>
        <source>is a folder, not a file</source>
        <translation>是文件夹，不是文件</translation>
    </message>
    <message>
        <location filename="../../backends/llama_cpp/discovery.py" line="88"/>
        <source>is a named pipe, not a file</source>
        <translation>是命名管道，不是文件</translation>
    </message>
    <message>
        <location filename="../../backends/llama_cpp/discovery.py" line="89"/>
        <location filename="../../backends/llama_cpp/discovery.py" line="90"/>
        <source>is a device, not a file</source>
        <translation>是设备，不是文件</translation>
    </message>
    <message>
        <location filename="../../backends/llama_cpp/discovery.py" line="91"/>
        <source>is a socket, not a file</source>
        <translation>是套接字，不是文件</translation>
    </message>
    <message>
        <location filename="../../backends/llama_cpp/discovery.py" line="112"/>
        <location filename="../core/settings.py" line="432"/>
        <source>is not a regular file</source>
        <translation>不是普通文件</translation>
    </message>
    <message>
        <location filename="../../backends/llama_cpp/discovery.py" line="114"/>
        <location filename="../../backends/llama_cpp/discovery.py" line="130"/>
        <source>cannot be read (permission denied)</source>
        <translation>无法读取（权限不足）</translation>
    </message>
    <message>
        <location filename="../../backends/llama_cpp/discovery.py" line="120"/>
        <source>is a symbolic link loop</source>
        <translation>是循环的符号链接</translation>
    </message>
    <message>
        <location filename="../../backends/llama_cpp/discovery.py" line="127"/>
        <source>is a link to something that does not exist</source>
        <translation>是指向不存在目标的链接</translation>
    </message>
    <message>
        <location filename="../../backends/llama_cpp/discovery.py" line="128"/>
        <source>is a link to {target}, which does not exist</source>
        <translation>是指向 {target} 的链接，但目标不存在</translation>
    </message>
    <message>
        <location filename="../../backends/llama_cpp/discovery.py" line="136"/>
        <source>rename it</source>
        <translation>请重命名</translation>
    </message>
    <message>
        <location filename="../../backends/llama_cpp/discovery.py" line="136"/>
        <source>fix or remove it</source>
        <translation>请修复或删除它</translation>
    </message>
    <message>
        <location filename="../../backends/llama_cpp/discovery.py" line="143"/>
        <source>{path} {problem}; {advice}.</source>
        <translation>{path} {problem}；{advice}。</translation>
    </message>
    <message>
        <location filename="../../backends/llama_cpp/discovery.py" line="149"/>
        <source>{path}: {reason}</source>
        <translation>{path}：{reason}</translation>
    </message>
    <message>
        <location filename="../../backends/llama_cpp/discovery.py" line="375"/>
        <source>has just been removed</source>
        <translation>刚刚被删除</translation>
    </message>
    <message>
        <location filename="../../backends/llama_cpp/discovery.py" line="377"/>
        <source>{path} {problem}.</source>
        <translation>{path} {problem}。</translation>
    </message>
    <message>
        <location filename="../core/settings.py" line="442"/>
        <source>is larger than {size}, far more than settings take</source>
        <translation>大于 {size}，远超设置文件应有的大小</translation>
    </message>
    <message>
        <location filename="../core/settings.py" line="449"/>
        <source>is not UTF-8 text (at byte {offset})</source>
        <translation>不是 UTF-8 文本（在第 {offset} 字节处）</translation>
    </message>
    <message>
        <location filename="../core/settings.py" line="456"/>
        <source>is nested too deeply to be settings</source>
        <translation>嵌套层级过深，不可能是设置文件</translation>
    </message>
    <message>
        <location filename="../core/settings.py" line="459"/>
        <source>is not valid JSON ({reason} at line {line}, column {column})</source>
        <translation>不是有效的 JSON（第 {line} 行第 {column} 列：{reason}）</translation>
    </message>
    <message>
        <location filename="../core/settings.py" line="467"/>
        <source>is not valid JSON ({reason})</source>
        <translation>不是有效的 JSON（{reason}）</translation>
    </message>
    <message>
        <location filename="../core/settings.py" line="471"/>
        <source>is not a JSON object (it holds {kind})</source>
        <translation>不是 JSON 对象（内容为：{kind}）</translation>
    </message>
    <message>
        <location filename="../../backends/llama_cpp/discovery.py" line="131"/>
        <location filename="../core/settings.py" line="478"/>
        <source>cannot be read ({reason})</source>
        <translation>无法读取（{reason}）</translation>
    </message>
    <message>
        <location filename="../core/settings.py" line="486"/>
        <source>The settings file {path} {problem}; the defaults are used until it is fixed, and if settings are saved first it is kept beside it as {backup}.</source>
        <translation>设置文件 {path} {problem}；修正之前将使用默认设置。如果在此之前保存了设置，原文件会以 {backup} 为名保留在同一文件夹中。</translation>
    </message>
    <message>
        <location filename="../core/settings.py" line="571"/>
        <source>it {fault}</source>
        <translation>该值{fault}</translation>
    </message>
    <message>
        <location filename="../core/settings.py" line="572"/>
        <source>an entry {fault}</source>
        <translation>其中一项{fault}</translation>
    </message>
    <message>
        <location filename="../core/settings.py" line="592"/>
        <source>{wanted} from {minimum} to {maximum}</source>
        <translation>介于 {minimum} 和 {maximum} 之间的{wanted}</translation>
    </message>
    <message>
        <location filename="../core/settings.py" line="599"/>
        <source>{wanted} of at least {minimum}</source>
        <translation>不小于 {minimum} 的{wanted}</translation>
    </message>
    <message>
        <location filename="../core/settings.py" line="604"/>
        <source>Setting &quot;{name}&quot; should be {wanted}, not {value} ({reason}); using the default ({default}).</source>
        <translation>设置“{name}”应为{wanted}，而不是 {value}（{reason}）；已改用默认值（{default}）。</translation>
    </message>
    <message>
        <location filename="../core/settings.py" line="614"/>
        <source>Setting &quot;{name}&quot; should be {wanted}, not {value}; using the default ({default}).</source>
        <translation>设置“{name}”应为{wanted}，而不是 {value}；已改用默认值（{default}）。</translation>
    </message>
    <message>
        <location filename="../core/settings.py" line="625"/>
        <source>{kind} (not shown, it is secret)</source>
        <translation>{kind}（属于机密，不显示）</translation>
    </message>
    <message>
        <location filename="../core/settings.py" line="634"/>
        <source>empty</source>
        <translation>空</translation>
    </message>
    <message>
        <location filename="../core/settings.py" line="643"/>
        <source>holds a NUL character</source>
        <translation>含有 NUL 字符</translation>
    </message>
    <message>
        <location filename="../core/settings.py" line="647"/>
        <source>holds a lone surrogate, which is not text</source>
        <translation>含有不成对的代理字符，不是有效文本</translation>
    </message>
    <message>
        <location filename="../core/settings.py" line="677"/>
        <source>none</source>
        <translation>无</translation>
    </message>
    <message>
        <location filename="../core/settings.py" line="735"/>
        <source>{first} or {second}</source>
        <translation>{first}或{second}</translation>
    </message>
    <message>
        <location filename="../core/settings.py" line="738"/>
        <location filename="../core/settings.py" line="771"/>
        <source>text</source>
        <translation>文本</translation>
    </message>
    <message>
        <location filename="../core/settings.py" line="739"/>
        <source>a whole number</source>
        <translation>整数</translation>
    </message>
    <message>
        <location filename="../core/settings.py" line="740"/>
        <location filename="../core/settings.py" line="769"/>
        <source>a number</source>
        <translation>数字</translation>
    </message>
    <message>
        <location filename="../core/settings.py" line="741"/>
        <source>true or false</source>
        <translation>布尔值（true 或 false）</translation>
    </message>
    <message>
        <location filename="../core/settings.py" line="748"/>
        <source>a list of text</source>
        <translation>文本列表</translation>
    </message>
    <message>
        <location filename="../core/settings.py" line="749"/>
        <source>a list of whole numbers</source>
        <translation>整数列表</translation>
    </message>
    <message>
        <location filename="../core/settings.py" line="750"/>
        <source>a list of numbers</source>
        <translation>数字列表</translation>
    </message>
    <message>
        <location filename="../core/settings.py" line="751"/>
        <source>a list of true or false values</source>
        <translation>布尔值列表</translation>
    </message>
    <message>
        <location filename="../core/settings.py" line="753"/>
        <source>a list of {items}</source>
        <translation>由{items}组成的列表</translation>
    </message>
    <message>
        <location filename="../core/settings.py" line="767"/>
        <source>a true/false value</source>
        <translation>布尔值</translation>
    </message>
    <message>
        <location filename="../core/settings.py" line="772"/>
        <source>a list</source>
        <translation>列表</translation>
    </message>
    <message>
        <location filename="../core/settings.py" line="772"/>
        <source>an object</source>
        <translation>对象</translation>
    </message>
    <message>
        <location filename="../core/store/database.py" line="147"/>
        <source>The chat history {path} was written by a newer LocalSight ({detail}). Update LocalSight to open it; the file has not been changed.</source>
        <extracomment>Where a damaged database was moved at this open, so the window can tell the user. How many answers a crash had left &apos;streaming&apos; and this open marked &apos;interrupted&apos;.</extracomment>
        <translation>对话记录 {path} 由更新版本的 LocalSight 写入（{detail}）。请更新 LocalSight 后再打开；该文件未被改动。</translation>
    </message>
    <message>
        <location filename="../core/store/database.py" line="196"/>
        <source>The chat history is closed.</source>
        <translation>对话记录已关闭。</translation>
    </message>
    <message>
        <location filename="../core/store/database.py" line="540"/>
        <location filename="../core/store/database.py" line="587"/>
        <location filename="../core/store/database.py" line="831"/>
        <location filename="../core/store/database.py" line="851"/>
        <source>Message {message} is not in the chat history any more.</source>
        <extracomment>The visible branch: from the conversation&apos;s active leaf up through the parents.</extracomment>
        <translation>消息 {message} 已不在对话记录中。</translation>
    </message>
    <message>
        <location filename="../core/store/database.py" line="730"/>
        <location filename="../core/store/database.py" line="876"/>
        <source>Message {message} is not in conversation {conversation} any more.</source>
        <translation>消息 {message} 已不在对话 {conversation} 中。</translation>
    </message>
    <message>
        <location filename="../core/store/database.py" line="913"/>
        <location filename="../core/store/database.py" line="927"/>
        <source>The image {image}… is not in the chat history any more.</source>
        <translation>图片 {image}… 已不在对话记录中。</translation>
    </message>
    <message>
        <location filename="../core/store/database.py" line="1013"/>
        <location filename="../core/store/database.py" line="1020"/>
        <source>Preset {preset} is not saved any more.</source>
        <translation>预设 {preset} 已不存在。</translation>
    </message>
    <message>
        <location filename="../core/store/database.py" line="1026"/>
        <source>A preset needs a name.</source>
        <translation>预设需要一个名称。</translation>
    </message>
    <message>
        <location filename="../core/store/database.py" line="1036"/>
        <source>A preset named “{name}” exists already; choose another name.</source>
        <translation>已有名为“{name}”的预设，请换一个名称。</translation>
    </message>
    <message>
        <location filename="../core/store/database.py" line="1117"/>
        <source>Conversation {conversation} is not in the chat history any more.</source>
        <translation>对话 {conversation} 已不在对话记录中。</translation>
    </message>
    <message>
        <location filename="../core/store/db_file.py" line="112"/>
        <source>Could not create the folder for the chat history ({folder}): {reason}. Check that you may write there.</source>
        <translation>无法创建存放对话记录的文件夹（{folder}）：{reason}。请检查你是否有写入权限。</translation>
    </message>
    <message>
        <location filename="../core/store/db_file.py" line="200"/>
        <source>The chat history {path} is damaged and could not be moved aside ({reason}). Move or rename it yourself, then start LocalSight again; it has not been deleted.</source>
        <translation>对话记录 {path} 已损坏，且无法移到一旁（{reason}）。请自行移动或重命名它，然后重新启动 LocalSight；该文件没有被删除。</translation>
    </message>
    <message>
        <location filename="../core/store/errors.py" line="118"/>
        <source>Could not save</source>
        <translation>无法保存</translation>
    </message>
    <message>
        <location filename="../core/store/errors.py" line="118"/>
        <source>Could not read the chat history</source>
        <translation>无法读取对话记录</translation>
    </message>
    <message>
        <location filename="../core/store/errors.py" line="119"/>
        <source>Everything saved before is still there.</source>
        <translation>之前保存的内容都还在。</translation>
    </message>
    <message>
        <location filename="../core/store/errors.py" line="124"/>
        <source>{lead}: the disk is full. Free some space and try again. {kept}</source>
        <translation>{lead}：磁盘已满。请清理一些空间后重试。{kept}</translation>
    </message>
    <message>
        <location filename="../core/store/errors.py" line="128"/>
        <source>{lead}: the disk reported an error while using {path}. Check the disk or storage card, then try again. {kept}</source>
        <translation>{lead}：使用 {path} 时磁盘报告了错误。请检查磁盘或存储卡，然后重试。{kept}</translation>
    </message>
    <message>
        <location filename="../core/store/errors.py" line="136"/>
        <source>{lead}: the chat history at {path} is read-only. Make its folder writable (or free the disk if it was remounted read-only), then try again. {kept}</source>
        <translation>{lead}：对话记录 {path} 是只读的。请让它所在的文件夹可写（如果磁盘被重新挂载为只读，请先腾出磁盘空间），然后重试。{kept}</translation>
    </message>
    <message>
        <location filename="../core/store/errors.py" line="144"/>
        <source>{lead}: another program is holding the chat history at {path}. Close other LocalSight windows or commands and try again. {kept}</source>
        <translation>{lead}：另一个程序正在占用对话记录 {path}。请关闭其他 LocalSight 窗口或命令后重试。{kept}</translation>
    </message>
    <message>
        <location filename="../core/store/errors.py" line="152"/>
        <source>{lead}: the chat history file {path} is damaged. Restart LocalSight: it will set the damaged file aside (never delete it) and start a fresh one.</source>
        <translation>{lead}：对话记录文件 {path} 已损坏。请重新启动 LocalSight：它会把损坏的文件移到一旁（绝不删除），并新建一个。</translation>
    </message>
    <message>
        <location filename="../core/store/errors.py" line="159"/>
        <source>{lead}: the chat history at {path} cannot be opened. Check that its folder exists and that you may write to it.</source>
        <translation>{lead}：无法打开对话记录 {path}。请检查它所在的文件夹是否存在，以及你是否有写入权限。</translation>
    </message>
    <message>
        <location filename="../core/store/errors.py" line="166"/>
        <source>{lead} ({path}): {error}. {kept}</source>
        <translation>{lead}（{path}）：{error}。{kept}</translation>
    </message>
    <message>
        <location filename="../core/store/errors.py" line="169"/>
        <source>{lead}: {error}.</source>
        <translation>{lead}：{error}。</translation>
    </message>
    <message>
        <location filename="../core/store/migrations.py" line="310"/>
        <source>schema version {found} is newer than this release knows ({known})</source>
        <translation>数据库结构版本 {found} 高于此版本所支持的 {known}</translation>
    </message>
    <message>
        <location filename="../core/store/records.py" line="48"/>
        <source>New chat</source>
        <extracomment>What a conversation without a title is called in lists and exports; a ``message``, so the window can show it in the reader&apos;s language (``shown``).</extracomment>
        <translation>新对话</translation>
    </message>
    <message>
        <location filename="../../backends/base.py" line="417"/>
        <source>{model} cannot see images. Remove the images, or pick a model with vision (for a GGUF file, also give its mmproj projector file).</source>
        <extracomment>The last message is an answer to extend (Continue after the token limit or a Stop): the model goes on from its last word in the same turn, and streams only what it adds. llama.cpp renders the prompt up to the answer&apos;s start and appends the answer; Ollama and OpenAI-compatible servers continue a final assistant message themselves.</extracomment>
        <translation>{model} 无法识别图片。请移除图片，或选择视觉模型（GGUF 文件还需同时提供它的 mmproj 视觉投影文件）。</translation>
    </message>
    <message>
        <location filename="../../backends/base.py" line="423"/>
        <source>There is nothing to send: the conversation is empty.</source>
        <translation>没有可发送的内容：对话是空的。</translation>
    </message>
    <message>
        <location filename="../../backends/base.py" line="425"/>
        <source>There is no answer to continue: the last message is not one.</source>
        <translation>没有可继续的回答：最后一条消息不是回答。</translation>
    </message>
    <message>
        <location filename="../../backends/engine/child.py" line="211"/>
        <source>The model engine does not know the request {request}.</source>
        <extracomment>Eager prefills running (their own threads), by request id, for ``Cancel``.</extracomment>
        <translation>模型引擎不认识请求 {request}。</translation>
    </message>
    <message>
        <location filename="../../backends/engine/child.py" line="269"/>
        <source>The answer ended without finishing.</source>
        <translation>回答未完成就结束了。</translation>
    </message>
    <message>
        <location filename="../../backends/engine/crash.py" line="44"/>
        <source>no exit status</source>
        <translation>没有退出状态</translation>
    </message>
    <message>
        <location filename="../../backends/engine/crash.py" line="47"/>
        <location filename="../../backends/engine/crash.py" line="49"/>
        <source>signal {signal}</source>
        <translation>信号 {signal}</translation>
    </message>
    <message>
        <location filename="../../backends/engine/crash.py" line="50"/>
        <source>exit code {code}</source>
        <translation>退出码 {code}</translation>
    </message>
    <message>
        <location filename="../../backends/engine/crash.py" line="73"/>
        <source>{how}: {reason}</source>
        <translation>{how}：{reason}</translation>
    </message>
    <message>
        <location filename="../../backends/engine/crash.py" line="81"/>
        <source>while starting</source>
        <translation>启动时</translation>
    </message>
    <message>
        <location filename="../../backends/engine/crash.py" line="82"/>
        <source>while loading</source>
        <translation>加载时</translation>
    </message>
    <message>
        <location filename="../../backends/engine/crash.py" line="83"/>
        <source>while answering</source>
        <translation>回答时</translation>
    </message>
    <message>
        <location filename="../../backends/engine/crash.py" line="84"/>
        <source>while reading model files</source>
        <translation>读取模型文件时</translation>
    </message>
    <message>
        <location filename="../../backends/engine/crash.py" line="89"/>
        <source>The system may have run out of memory; close other programs or pick a smaller model. The app is fine.</source>
        <translation>系统可能内存不足；请关闭其他程序或选择更小的模型。应用本身没有问题。</translation>
    </message>
    <message>
        <location filename="../../backends/engine/crash.py" line="94"/>
        <source>This computer&apos;s processor rejected an instruction llama.cpp used. The app is fine; run `localsight doctor` for details.</source>
        <translation>这台电脑的处理器拒绝了 llama.cpp 使用的一条指令。应用本身没有问题；运行 `localsight doctor` 查看详情。</translation>
    </message>
    <message>
        <location filename="../../backends/engine/crash.py" line="99"/>
        <source>The file may be damaged or made for a newer llama.cpp; the app is fine, pick another model.</source>
        <translation>文件可能已损坏，或需要更新版本的 llama.cpp；应用本身没有问题，请选择其他模型。</translation>
    </message>
    <message>
        <location filename="../../backends/engine/crash.py" line="103"/>
        <source>The model crashed {stage} (llama.cpp stopped with {detail}). {advice}</source>
        <translation>模型在{stage}崩溃了（llama.cpp 停止原因：{detail}）。{advice}</translation>
    </message>
    <message>
        <location filename="../../backends/engine/host.py" line="255"/>
        <source>The model engine stopped responding and was stopped; the app is fine. Try again.</source>
        <extracomment>How often a prefill&apos;s wait looks at its cancel token. How long a cancelled prefill is waited for before the caller is let go (an image&apos;s encode cannot be aborted: the engine finishes it alone, and a Send waits for it there).</extracomment>
        <translation>模型引擎没有响应，已被停止；应用本身没有问题。请重试。</translation>
    </message>
    <message>
        <location filename="../../backends/engine/host.py" line="404"/>
        <source>This computer&apos;s processor rejected an instruction llama.cpp used, and no compatible mode is left ({reason}). Run `localsight doctor` and include its output in a bug report. The app is fine.</source>
        <translation>这台电脑的处理器拒绝了 llama.cpp 使用的一条指令，且已没有可用的兼容模式（{reason}）。请运行 `localsight doctor`，并把输出附在错误报告中。应用本身没有问题。</translation>
    </message>
    <message>
        <location filename="../../backends/engine/host.py" line="413"/>
        <source>This computer&apos;s processor rejected an instruction set; LocalSight switched to a compatible mode ({failed} → {variant}).</source>
        <translation>这台电脑的处理器不支持某个指令集；LocalSight 已切换到兼容模式（{failed} → {variant}）。</translation>
    </message>
    <message>
        <location filename="../../backends/engine/host.py" line="426"/>
        <location filename="../../backends/llama_cpp/backend.py" line="744"/>
        <source>The model is still answering another request. Stop it first.</source>
        <translation>模型仍在回答另一个请求。请先停止它。</translation>
    </message>
    <message>
        <location filename="../../backends/engine/host.py" line="468"/>
        <source>{notice} Press Retry to answer again.</source>
        <translation>{notice}请点击“重试”重新回答。</translation>
    </message>
    <message>
        <location filename="../../backends/engine/host.py" line="492"/>
        <source>The model engine sent {sent} where {expected} was expected.</source>
        <translation>模型引擎返回了 {sent}，应为 {expected}。</translation>
    </message>
    <message>
        <location filename="../../backends/engine/process.py" line="103"/>
        <source>The model engine could not start: {error}</source>
        <translation>模型引擎无法启动：{error}</translation>
    </message>
    <message>
        <location filename="../../backends/engine/process.py" line="137"/>
        <source>The model engine did not start within {seconds} s. The computer may be busy or slow (an SD card); to wait longer, set {variable} to a number of seconds.</source>
        <translation>模型引擎未能在 {seconds} 秒内启动。电脑可能正忙或速度较慢（例如使用 SD 卡）；如需等待更久，请把 {variable} 设为秒数。</translation>
    </message>
    <message>
        <location filename="../../backends/engine/process.py" line="146"/>
        <source>The model engine could not start ({detail}). Reinstall LocalSight&apos;s dependencies.</source>
        <translation>模型引擎无法启动（{detail}）。请重新安装 LocalSight 的依赖。</translation>
    </message>
    <message>
        <location filename="../../backends/engine/protocol.py" line="156"/>
        <source>The model engine failed unexpectedly: {error}</source>
        <translation>模型引擎意外出错：{error}</translation>
    </message>
    <message>
        <location filename="../../backends/engine/stream.py" line="44"/>
        <source>The model engine was stopped before it answered. Try again.</source>
        <translation>模型引擎在回答前被停止了。请重试。</translation>
    </message>
    <message>
        <location filename="../../backends/llama_cpp/backend.py" line="146"/>
        <location filename="../../backends/llama_cpp/discovery.py" line="367"/>
        <location filename="../../backends/llama_cpp/gguf_check.py" line="412"/>
        <source>The model file {path} does not exist.</source>
        <extracomment>After an answer, how long the backend waits idle before keeping the conversation&apos;s state on disk (``keep_conversation_state``): long enough not to copy it between quick turns. How long a request waits for an idle keep that holds the model (a copy: milliseconds). How long ``close`` waits for kept states still being written. How often a chat request waiting for an eager prefill looks at its Stop.
----------
What a cached verdict depends on besides the file: (size, mtime_ns, ctime_ns, inode, device). ctime cannot be set back by any tool, so a file rewritten in place with its old size and modification time still gets a new stamp.</extracomment>
        <translation>模型文件 {path} 不存在。</translation>
    </message>
    <message>
        <location filename="../../backends/llama_cpp/backend.py" line="147"/>
        <source>The projector file {path} does not exist.</source>
        <translation>视觉投影文件 {path} 不存在。</translation>
    </message>
    <message>
        <location filename="../../backends/llama_cpp/backend.py" line="151"/>
        <source>The model file {path} {problem}; fix it or pick another file.</source>
        <translation>模型文件 {path} {problem}；请修复它或选择其他文件。</translation>
    </message>
    <message>
        <location filename="../../backends/llama_cpp/backend.py" line="157"/>
        <source>The projector file {path} {problem}; fix it or pick another file.</source>
        <translation>视觉投影文件 {path} {problem}；请修复它或选择其他文件。</translation>
    </message>
    <message>
        <location filename="../../backends/llama_cpp/backend.py" line="194"/>
        <source>Images must be PNG or JPEG here, not {mime}.</source>
        <translation>这里的图片必须是 PNG 或 JPEG，而不是 {mime}。</translation>
    </message>
    <message>
        <location filename="../../backends/llama_cpp/backend.py" line="291"/>
        <source>{name} is a vision projector (mmproj), not a language model. Pass it with --mmproj and give the model file with --model.</source>
        <translation>{name} 是视觉投影文件（mmproj），不是语言模型。请用 --mmproj 传入它，并用 --model 指定模型文件。</translation>
    </message>
    <message>
        <location filename="../../backends/llama_cpp/backend.py" line="303"/>
        <source>{name} is not a vision projector (mmproj) file.</source>
        <translation>{name} 不是视觉投影文件（mmproj）。</translation>
    </message>
    <message>
        <location filename="../../backends/llama_cpp/backend.py" line="309"/>
        <source>{projector} does not belong to {model}: it produces {width}-wide embeddings, the model needs {needed}.</source>
        <translation>{projector} 与 {model} 不匹配：它输出的嵌入宽度为 {width}，而模型需要 {needed}。</translation>
    </message>
    <message>
        <location filename="../../backends/llama_cpp/backend.py" line="403"/>
        <source>No model called {model} was found. Give the path of a .gguf file, put it in the models folder, or give the name of a model pulled with Ollama.</source>
        <translation>找不到名为 {model} 的模型。请提供 .gguf 文件的路径、把它放进模型文件夹，或提供用 Ollama 拉取的模型名称。</translation>
    </message>
    <message>
        <location filename="../../backends/llama_cpp/backend.py" line="514"/>
        <source>the projector gave no vision context</source>
        <translation>视觉投影文件没有提供视觉上下文</translation>
    </message>
    <message>
        <location filename="../../backends/llama_cpp/backend.py" line="606"/>
        <source>llama.cpp could not load {name} ({reason}). The file may be damaged or made for a newer llama.cpp: {error}</source>
        <translation>llama.cpp 无法加载 {name}（{reason}）。文件可能已损坏，或需要更新版本的 llama.cpp：{error}</translation>
    </message>
    <message>
        <location filename="../../backends/llama_cpp/backend.py" line="613"/>
        <source>llama.cpp could not load {name}. The file may be damaged or made for a newer llama.cpp: {error}</source>
        <translation>llama.cpp 无法加载 {name}。文件可能已损坏，或需要更新版本的 llama.cpp：{error}</translation>
    </message>
    <message>
        <location filename="../../backends/llama_cpp/backend.py" line="816"/>
        <source>This model cannot continue an answer (its chat format is handled by llama.cpp&apos;s built-in code). Use Regenerate, or ask for more in a new message.</source>
        <translation>此模型无法继续回答（它的对话格式由 llama.cpp 的内置代码处理）。请使用“重新生成”，或在新消息中请它继续。</translation>
    </message>
    <message>
        <location filename="../../backends/llama_cpp/backend.py" line="883"/>
        <source>The conversation is longer than the model&apos;s context window. Start a new chat, remove images, or raise the context size in the settings.</source>
        <translation>对话长度超出了模型的上下文窗口。请新建对话、移除图片，或在设置中调大上下文长度。</translation>
    </message>
    <message>
        <location filename="../../backends/llama_cpp/backend.py" line="890"/>
        <source>llama.cpp could not decode an attached image. Try another image.</source>
        <translation>llama.cpp 无法解码附加的图片。请换一张图片。</translation>
    </message>
    <message>
        <location filename="../../backends/llama_cpp/backend.py" line="896"/>
        <source>The model&apos;s chat template tried something unsafe and was stopped: {error}</source>
        <translation>模型的对话模板尝试执行不安全的操作，已被阻止：{error}</translation>
    </message>
    <message>
        <location filename="../../backends/llama_cpp/backend.py" line="902"/>
        <source>llama.cpp failed while answering: {error}</source>
        <translation>llama.cpp 回答时出错：{error}</translation>
    </message>
    <message>
        <location filename="../../backends/llama_cpp/context_size.py" line="78"/>
        <source>could not make a {tokens}-token context: {error}</source>
        <translation>无法创建 {tokens} token 的上下文：{error}</translation>
    </message>
    <message>
        <location filename="../../backends/llama_cpp/context_size.py" line="88"/>
        <source>could not read the conversation out of the context</source>
        <translation>无法从上下文中读出对话内容</translation>
    </message>
    <message>
        <location filename="../../backends/llama_cpp/context_size.py" line="92"/>
        <source>the conversation did not fit a {tokens}-token context</source>
        <translation>对话内容放不进 {tokens} token 的上下文</translation>
    </message>
    <message>
        <location filename="../../backends/llama_cpp/context_size.py" line="98"/>
        <source>no memory left to copy the conversation across</source>
        <translation>没有足够的内存来转移对话内容</translation>
    </message>
    <message>
        <location filename="../../backends/llama_cpp/cpu_variants.py" line="306"/>
        <source>The CPU variants of llama.cpp could not be read ({how}).</source>
        <translation>无法读取 llama.cpp 的 CPU 变体（{how}）。</translation>
    </message>
    <message>
        <location filename="../../backends/llama_cpp/cpu_variants.py" line="362"/>
        <source>{setting} names no CPU variant of this build (there are: {variants}).</source>
        <translation>{setting} 指定的 CPU 变体在此版本中不存在（可用的有：{variants}）。</translation>
    </message>
    <message>
        <location filename="../../backends/llama_cpp/cpu_variants.py" line="419"/>
        <source>none is supported</source>
        <translation>没有受支持的变体</translation>
    </message>
    <message>
        <location filename="../../backends/llama_cpp/cpu_variants.py" line="424"/>
        <source>No CPU variant of llama.cpp runs on this computer ({reasons}).</source>
        <translation>llama.cpp 没有能在这台电脑上运行的 CPU 变体（{reasons}）。</translation>
    </message>
    <message>
        <location filename="../../backends/llama_cpp/fit.py" line="112"/>
        <source>{name} needs about {size} of memory with a {tokens}-token context</source>
        <extracomment>The batch the backend evaluates prompts in (``n_batch``/``n_ubatch`` = 512). The largest context LocalSight allocates, whatever a file claims or a setting asks: 256k tokens is the longest any model in the catalog was trained for (Qwen3-VL), and on a CPU reading that much prompt takes hours. Memory may lower it further (``fitting_context``). The smallest context a too-big request is shrunk to; below it a chat with an image or two no longer fits, so the model is refused instead (``ensure_fits`` says why).</extracomment>
        <translation>{name} 在 {tokens} token 的上下文下约需 {size} 内存</translation>
    </message>
    <message>
        <location filename="../../backends/llama_cpp/fit.py" line="121"/>
        <source>{need}; {limit}. Lower the context size or choose a smaller model.</source>
        <translation>{need}；{limit}。请调小上下文长度或选择更小的模型。</translation>
    </message>
    <message>
        <location filename="../../backends/llama_cpp/fit.py" line="128"/>
        <source>{need}, but only {free} is free. Close other programs, lower the context size, or choose a smaller model.</source>
        <translation>{need}，但只有 {free} 可用。请关闭其他程序、调小上下文长度，或选择更小的模型。</translation>
    </message>
    <message>
        <location filename="../../backends/llama_cpp/gguf_rules.py" line="59"/>
        <location filename="../../backends/llama_cpp/gguf_rules.py" line="70"/>
        <source>its {what} is {value}</source>
        <extracomment>ggml&apos;s integer and float64 tensor types. No vision-language or chat model takes its weights in these (only draft-model and expert-routing tables do: EAGLE-3&apos;s ``d2t``); a matrix multiplication with one aborts (seen with I8/I16/I32/I64). Tokenizers llama.cpp&apos;s vocabulary loader knows (``src/llama-vocab.cpp``). ``bert`` (WordPiece) belongs to the BERT family of embedding models only: on a generative model its default special tokens (101, 102, 103) and missing newline token abort the loader. Widths, lengths and counts beyond these are no model that fits a desktop&apos;s memory: the largest real values are ~16k (embedding), ~500 (layers), 128 (heads).</extracomment>
        <translation>它的{what}为 {value}</translation>
    </message>
    <message>
        <location filename="../../backends/llama_cpp/gguf_rules.py" line="68"/>
        <source>its {what} is not a number</source>
        <translation>它的{what}不是数字</translation>
    </message>
    <message>
        <location filename="../../backends/llama_cpp/gguf_rules.py" line="79"/>
        <source>embedding width</source>
        <translation>嵌入宽度</translation>
    </message>
    <message>
        <location filename="../../backends/llama_cpp/gguf_rules.py" line="80"/>
        <source>layer count</source>
        <translation>层数</translation>
    </message>
    <message>
        <location filename="../../backends/llama_cpp/gguf_rules.py" line="81"/>
        <source>context length</source>
        <translation>上下文长度</translation>
    </message>
    <message>
        <location filename="../../backends/llama_cpp/gguf_rules.py" line="86"/>
        <source>layer norm rms epsilon</source>
        <translation>层归一化 RMS epsilon 值</translation>
    </message>
    <message>
        <location filename="../../backends/llama_cpp/gguf_rules.py" line="87"/>
        <source>layer norm epsilon</source>
        <translation>层归一化 epsilon 值</translation>
    </message>
    <message>
        <location filename="../../backends/llama_cpp/gguf_rules.py" line="95"/>
        <source>its attention head count is {count}</source>
        <translation>它的注意力头数为 {count}</translation>
    </message>
    <message>
        <location filename="../../backends/llama_cpp/gguf_rules.py" line="98"/>
        <source>its {count} attention heads do not divide its width {width}</source>
        <translation>它的 {count} 个注意力头无法整除其宽度 {width}</translation>
    </message>
    <message>
        <location filename="../../backends/llama_cpp/gguf_rules.py" line="104"/>
        <source>its {kv_count} key/value heads do not divide its {count} attention heads</source>
        <translation>它的 {kv_count} 个键/值头无法整除其 {count} 个注意力头</translation>
    </message>
    <message>
        <location filename="../../backends/llama_cpp/gguf_rules.py" line="112"/>
        <source>its rotary dimension {dimension} exceeds its head size {head_size}</source>
        <translation>它的旋转位置编码维度 {dimension} 超过了头大小 {head_size}</translation>
    </message>
    <message>
        <location filename="../../backends/llama_cpp/gguf_rules.py" line="122"/>
        <source>its tokenizer {tokenizer} is unknown</source>
        <translation>它的分词器 {tokenizer} 未知</translation>
    </message>
    <message>
        <location filename="../../backends/llama_cpp/gguf_rules.py" line="124"/>
        <source>it pairs a BERT tokenizer with a generative model</source>
        <translation>它把 BERT 分词器用在了生成式模型上</translation>
    </message>
    <message>
        <location filename="../../backends/llama_cpp/gguf_rules.py" line="127"/>
        <source>its vocabulary is empty</source>
        <translation>它的词表是空的</translation>
    </message>
    <message>
        <location filename="../../backends/llama_cpp/gguf_rules.py" line="131"/>
        <source>it declares {declared} tokens but lists {listed}</source>
        <translation>它声明有 {declared} 个 token，实际列出 {listed} 个</translation>
    </message>
    <message>
        <location filename="../../backends/llama_cpp/gguf_rules.py" line="140"/>
        <source>its vocabulary has {tokens} tokens but {count} scores</source>
        <translation>它的词表有 {tokens} 个 token，但分数有 {count} 个</translation>
    </message>
    <message>
        <location filename="../../backends/llama_cpp/gguf_rules.py" line="145"/>
        <source>its vocabulary has {tokens} tokens but {count} token types</source>
        <translation>它的词表有 {tokens} 个 token，但 token 类型有 {count} 个</translation>
    </message>
    <message>
        <location filename="../../backends/llama_cpp/gguf_rules.py" line="211"/>
        <source>its {key} is stored as type {type}, not {wanted}</source>
        <extracomment>The scalar keys llama.cpp&apos;s projector loader reads and the GGUF type it reads each as (``tools/mtmd/clip.cpp``, its ``get_u32``/``get_f32``/``get_bool``/... helpers). Unlike the language-model loader, which throws a clean error for a key of the wrong type, these helpers call ``gguf_get_val_u32`` and friends, which *assert* the type: a head count written as a float aborted the process (issue 16).</extracomment>
        <translation>它的 {key} 以类型 {type} 存储，而不是 {wanted}</translation>
    </message>
    <message>
        <location filename="../../backends/llama_cpp/gguf_rules.py" line="219"/>
        <source>vision width</source>
        <translation>视觉宽度</translation>
    </message>
    <message>
        <location filename="../../backends/llama_cpp/gguf_rules.py" line="220"/>
        <source>patch size</source>
        <translation>图块大小</translation>
    </message>
    <message>
        <location filename="../../backends/llama_cpp/gguf_rules.py" line="228"/>
        <source>vision layer count</source>
        <translation>视觉层数</translation>
    </message>
    <message>
        <location filename="../../backends/llama_cpp/gguf_rules.py" line="229"/>
        <source>vision head count</source>
        <translation>视觉注意力头数</translation>
    </message>
    <message>
        <location filename="../../backends/llama_cpp/gguf_rules.py" line="230"/>
        <source>vision feed-forward width</source>
        <translation>视觉前馈宽度</translation>
    </message>
    <message>
        <location filename="../../backends/llama_cpp/gguf_rules.py" line="231"/>
        <source>projection width</source>
        <translation>投影宽度</translation>
    </message>
    <message>
        <location filename="../../backends/llama_cpp/gguf_rules.py" line="237"/>
        <source>image size</source>
        <translation>图片尺寸</translation>
    </message>
    <message>
        <location filename="../../backends/llama_cpp/gguf_rules.py" line="240"/>
        <source>norm epsilon</source>
        <translation>归一化 epsilon 值</translation>
    </message>
    <message>
        <location filename="../../backends/llama_cpp/gguf_rules.py" line="246"/>
        <source>its {count} vision heads do not divide its width {width}</source>
        <translation>它的 {count} 个视觉注意力头无法整除其宽度 {width}</translation>
    </message>
    <message>
        <location filename="../../backends/llama_cpp/gguf_rules.py" line="254"/>
        <source>its patch size {patch} exceeds its image size {image}</source>
        <translation>它的图块大小 {patch} 超过了图片尺寸 {image}</translation>
    </message>
    <message>
        <location filename="../../backends/llama_cpp/gguf_rules.py" line="266"/>
        <source>it declares {count} vision layers but layer {layer} has no weights</source>
        <translation>它声明有 {count} 个视觉层，但第 {layer} 层没有权重</translation>
    </message>
    <message>
        <location filename="../../backends/llama_cpp/gguf_rules.py" line="296"/>
        <source>its patch size {patch} does not match its patch embedding {shape}</source>
        <extracomment>Matrices of a vision block that read the block&apos;s input: their ``ne0`` is the width. The names are llama.cpp&apos;s own (``TN_ATTN_*``/``TN_FFN_*`` in ``tools/mtmd/clip-impl.h``).</extracomment>
        <translation>它的图块大小 {patch} 与图块嵌入 {shape} 不匹配</translation>
    </message>
    <message>
        <location filename="../../backends/llama_cpp/gguf_rules.py" line="302"/>
        <source>its vision width {width} does not match its patch embedding ({size})</source>
        <translation>它的视觉宽度 {width} 与图块嵌入（{size}）不匹配</translation>
    </message>
    <message>
        <location filename="../../backends/llama_cpp/gguf_rules.py" line="314"/>
        <source>its tensor {name} is {shape}, which does not take {width} inputs</source>
        <translation>它的张量 {name} 形状为 {shape}，不接受 {width} 维输入</translation>
    </message>
    <message>
        <location filename="../../backends/llama_cpp/gguf_rules.py" line="329"/>
        <source>its feed-forward matrices around {name} are not matrices</source>
        <translation>它在 {name} 处的前馈矩阵不是矩阵</translation>
    </message>
    <message>
        <location filename="../../backends/llama_cpp/gguf_rules.py" line="334"/>
        <source>its feed-forward matrices around {name} ({up}, {down}) do not fit</source>
        <translation>它在 {name} 处的前馈矩阵（{up}、{down}）不匹配</translation>
    </message>
    <message>
        <location filename="../../backends/llama_cpp/hf_cache.py" line="77"/>
        <source>Hugging Face cache {path}: {reason}</source>
        <translation>Hugging Face 缓存 {path}：{reason}</translation>
    </message>
    <message>
        <location filename="../../backends/llama_cpp/hf_cache.py" line="98"/>
        <source>{path} {problem}; download it again or remove it.</source>
        <translation>{path} {problem}；请重新下载或删除它。</translation>
    </message>
    <message>
        <location filename="../../backends/llama_cpp/native.py" line="57"/>
        <source>The llama.cpp runtime (llama-cpp-python) is not installed or failed to load: {error}. Reinstall LocalSight&apos;s dependencies.</source>
        <translation>llama.cpp 运行库（llama-cpp-python）未安装或加载失败：{error}。请重新安装 LocalSight 的依赖。</translation>
    </message>
    <message>
        <location filename="../../backends/llama_cpp/native.py" line="77"/>
        <source>{reason} Run `localsight doctor` and include its output in a bug report.</source>
        <translation>{reason}请运行 `localsight doctor`，并把输出附在错误报告中。</translation>
    </message>
    <message>
        <location filename="../../backends/llama_cpp/ollama_store.py" line="138"/>
        <source>the manifest is implausibly large</source>
        <translation>清单文件大得不合常理</translation>
    </message>
    <message>
        <location filename="../../backends/llama_cpp/ollama_store.py" line="143"/>
        <source>the manifest is not valid JSON ({error})</source>
        <translation>清单文件不是有效的 JSON（{error}）</translation>
    </message>
    <message>
        <location filename="../../backends/llama_cpp/ollama_store.py" line="146"/>
        <source>the manifest is not a JSON object</source>
        <translation>清单文件不是 JSON 对象</translation>
    </message>
    <message>
        <location filename="../../backends/llama_cpp/ollama_store.py" line="149"/>
        <source>the manifest has no model layer</source>
        <translation>清单文件中没有模型层</translation>
    </message>
    <message>
        <location filename="../../backends/llama_cpp/ollama_store.py" line="152"/>
        <source>the model layer&apos;s digest is malformed</source>
        <translation>模型层的摘要格式不正确</translation>
    </message>
    <message>
        <location filename="../../backends/llama_cpp/ollama_store.py" line="158"/>
        <source>the projector layer&apos;s digest is malformed</source>
        <translation>视觉投影层的摘要格式不正确</translation>
    </message>
    <message>
        <location filename="../../backends/llama_cpp/ollama_store.py" line="180"/>
        <source>Ollama&apos;s store {path}: {reason}</source>
        <translation>Ollama 模型库 {path}：{reason}</translation>
    </message>
    <message>
        <location filename="../../backends/llama_cpp/ollama_store.py" line="197"/>
        <source>Ollama model {model}: its manifest {problem}; pull the model again.</source>
        <translation>Ollama 模型 {model}：它的清单文件{problem}；请重新拉取该模型。</translation>
    </message>
    <message>
        <location filename="../../backends/llama_cpp/ollama_store.py" line="209"/>
        <source>Ollama model {model}: its manifest cannot be read ({reason}).</source>
        <translation>Ollama 模型 {model}：无法读取它的清单文件（{reason}）。</translation>
    </message>
    <message>
        <location filename="../../backends/llama_cpp/ollama_store.py" line="255"/>
        <source>Ollama model {model} packs its vision encoder into the model file, which llama.cpp cannot load; run it with --backend ollama instead.</source>
        <translation>Ollama 模型 {model} 把视觉编码器打包进了模型文件，llama.cpp 无法加载；请改用 --backend ollama 运行它。</translation>
    </message>
    <message>
        <location filename="../../backends/llama_cpp/ollama_store.py" line="266"/>
        <source>Ollama model {model}: {problem}</source>
        <translation>Ollama 模型 {model}：{problem}</translation>
    </message>
    <message>
        <location filename="../../backends/llama_cpp/ollama_store.py" line="279"/>
        <source>its blob {blob} is missing (is Ollama still pulling it?)</source>
        <translation>它的数据文件 {blob} 不存在（Ollama 是否仍在拉取？）</translation>
    </message>
    <message>
        <location filename="../../backends/llama_cpp/ollama_store.py" line="285"/>
        <source>its blob {blob} {problem}; pull the model again in Ollama.</source>
        <translation>它的数据文件 {blob} {problem}；请在 Ollama 中重新拉取该模型。</translation>
    </message>
    <message>
        <location filename="../../backends/llama_cpp/ollama_store.py" line="291"/>
        <source>its blob {blob} is incomplete</source>
        <translation>它的数据文件 {blob} 不完整</translation>
    </message>
    <message>
        <location filename="../../backends/llama_cpp/ollama_store.py" line="294"/>
        <source>its model layer is a vision projector, not a language model</source>
        <translation>它的模型层是视觉投影文件，不是语言模型</translation>
    </message>
    <message>
        <location filename="../../backends/llama_cpp/ollama_store.py" line="297"/>
        <source>its projector layer does not belong to its model layer</source>
        <translation>它的视觉投影层与模型层不匹配</translation>
    </message>
    <message>
        <location filename="../../backends/llama_cpp/prefix_cache.py" line="289"/>
        <source>This conversation needs a bigger context than the {tokens} tokens it has, and there is not enough memory to grow it ({reason}). Close other programs, lower the context size in Settings, or start a new chat.</source>
        <extracomment>Prompts whose last logits are kept: the turns of one conversation a person is likely to regenerate or branch from (each entry is 4 bytes per vocabulary entry). Snapshots of a recurrent or hybrid model&apos;s sequence kept, the newest ones (taken at the end of each prompt and after each image): each holds the whole sequence&apos;s state, ~12 KB a token for LFM2-VL 1.6B (24 MB at 2000 tokens). How far the context may grow (``context_size``); the size it was created with when it was created whole. llama.cpp&apos;s evaluation time (ms) spent in contexts since replaced, this request. Logits of the last token of prompts evaluated in this context, by prompt length in keys (valid while ``keys`` keeps at least that many: see ``_truncate``). Recurrent and hybrid models (Mamba, LFM2, ...) cannot drop the end of a sequence: their state is not kept per token. For them the sequence is snapshotted at the end of each prompt and after each image (``_checkpoints``, by length in keys) and a truncation goes back to the longest snapshot it allows -- as llama-server&apos;s context checkpoints do -- so Regenerate, the next turn and an edit of the text after an image do not read the conversation, images included, again. The width of the embeddings the model reads (an image&apos;s are n_tokens x this). Which of its image&apos;s chunks the next ``_eval_image`` evaluates (set by ``evaluate``: SmolVLM&apos;s tiles all carry the image&apos;s id).</extracomment>
        <translation>此对话需要比现有 {tokens} token 更大的上下文，但内存不足，无法扩大（{reason}）。请关闭其他程序、在设置中调小上下文长度，或新建对话。</translation>
    </message>
    <message>
        <location filename="../../backends/llama_cpp/template_budget.py" line="187"/>
        <source>built a number of more than {count} bits</source>
        <extracomment>Characters of Jinja source LocalSight will compile. Compiling costs about 8 s and 500 MB per MB of dense template (Jinja&apos;s parser and code generator, no hook can interrupt them); the longest real templates are about 16 KB (Gemma 4&apos;s, with its tool-call macros), so 128 Ki is 8 times that and compiles in about a second. Any single value, and the rendered prompt, may hold this many characters plus ``CHARS_PER_INPUT_CHAR`` per character of the conversation: 1 Mi for a short chat, 4.2 Mi for 200 turns of 4 000 characters (whose prompt is about 0.8 Mi). Characters (and list slots, at 8 each: a pointer) all operations may create together: a real template copies each message a handful of times (``+`` chains, ``trim``), far below 64 per character; 8 Mi for a short chat is 8-32 MB of text at most. Some build the prompt step by step instead (``{% set ns.out = ns.out ~ … %}``), copying all of it so far a few times for every message: Reka-Edge&apos;s template creates 1.0 to 1.2 characters per message per character of the conversation (measured on the 71 templates vendored in llama.cpp, 10 to 200 turns; the next highest creates 0.5, on a short chat): 650 million for 400 messages of 4 000 characters, each copy freed as the next is made. So the cap grows with messages times characters too, 4 per message per character (as the steps grow with messages squared): 2.7 billion for those 400 messages. Steps. Most real templates take a handful per message (measured on 200 turns: Gemma 3, Qwen2.5-VL, Qwen3-VL, LFM2-VL, SmolVLM, ChatML, LLaVA 1.5: 1 to 6), but Gemma 4&apos;s scans every earlier message for each message: 1.05 * n**2 steps for n messages, 2.6 million for 1 600 (5.3 s in the plain sandbox here). So the cap grows with the square of the conversation, 4 per pair of messages; a hostile template in a short chat gets 200 000 steps, a fraction of a second. Wall clock, a backstop that grows with the steps allowed: a step costs about 2 us here (Gemma 4&apos;s template), 10 us leaves room for a Raspberry Pi; 5 s for a short chat. Bits of any integer a template builds: numbers up to about 4 200 digits, all printable (Python refuses to print more than 4 300), and cheap to multiply. How deep a list, dict or tuple may nest; real ones (tool schemas) nest about ten deep. Work the tag-stripping and link-finding filters may do: their regular expressions take time proportional to the text times its tag openers (``&lt;&lt;&lt;&lt;…``), which no step count sees.</extracomment>
        <translation>生成了超过 {count} 位的数字</translation>
    </message>
    <message>
        <location filename="../../backends/llama_cpp/template_budget.py" line="188"/>
        <source>nested values more than {depth} deep</source>
        <translation>值的嵌套超过了 {depth} 层</translation>
    </message>
    <message>
        <location filename="../../backends/llama_cpp/template_budget.py" line="189"/>
        <source>asked for a text search that would take too long</source>
        <translation>要求进行耗时过长的文本搜索</translation>
    </message>
    <message>
        <location filename="../../backends/llama_cpp/template_budget.py" line="193"/>
        <source>built a value of more than {count} characters</source>
        <translation>生成了超过 {count} 个字符的值</translation>
    </message>
    <message>
        <location filename="../../backends/llama_cpp/template_budget.py" line="218"/>
        <source>This model&apos;s chat template {detail} and was stopped; the model file may be damaged or hostile, so pick another model.</source>
        <translation>此模型的对话模板{detail}，已被停止；模型文件可能已损坏或带有恶意，请选择其他模型。</translation>
    </message>
    <message>
        <location filename="../../backends/llama_cpp/template_budget.py" line="234"/>
        <source>took more than {count} steps</source>
        <translation>执行了超过 {count} 步</translation>
    </message>
    <message>
        <location filename="../../backends/llama_cpp/template_budget.py" line="237"/>
        <source>ran for more than {seconds} seconds</source>
        <translation>运行了超过 {seconds} 秒</translation>
    </message>
    <message>
        <location filename="../../backends/llama_cpp/template_budget.py" line="249"/>
        <source>built more than {count} characters in all</source>
        <translation>总共生成了超过 {count} 个字符</translation>
    </message>
    <message>
        <location filename="../../backends/llama_cpp/template_budget.py" line="255"/>
        <source>wrote a prompt of more than {count} characters</source>
        <translation>写出了超过 {count} 个字符的提示词</translation>
    </message>
    <message>
        <location filename="../../backends/llama_cpp/template_budget.py" line="285"/>
        <source>put a namespace inside another value</source>
        <translation>把命名空间放进了另一个值中</translation>
    </message>
    <message>
        <location filename="../../backends/llama_cpp/template_budget.py" line="755"/>
        <source>asked to round to more than 4,300 digits</source>
        <translation>要求保留超过 4,300 位数字</translation>
    </message>
    <message>
        <location filename="../../backends/llama_cpp/template_budget.py" line="1065"/>
        <source>is {length} characters long, more than {limit}</source>
        <translation>长达 {length} 个字符，超过了 {limit}</translation>
    </message>
    <message>
        <location filename="../../backends/llama_cpp/template_budget.py" line="1076"/>
        <source>nests too deeply to be read</source>
        <translation>嵌套过深，无法读取</translation>
    </message>
    <message>
        <location filename="../../backends/llama_cpp/template_budget.py" line="1200"/>
        <source>nested its macros, blocks or loops too deeply</source>
        <translation>宏、块或循环嵌套过深</translation>
    </message>
    <message>
        <location filename="../../backends/llama_cpp/template_budget.py" line="1202"/>
        <source>ran out of memory</source>
        <translation>耗尽了内存</translation>
    </message>
    <message>
        <location filename="../../backends/memory.py" line="99"/>
        <source>this machine has {total} and the system keeps about {reserve} of it</source>
        <translation>这台电脑共有 {total} 内存，其中约 {reserve} 由系统保留</translation>
    </message>
    <message>
        <location filename="../../backends/safe_names.py" line="79"/>
        <source>it is not text</source>
        <extracomment>The longest file name the common file systems (ext4, APFS, NTFS) accept, in bytes.</extracomment>
        <translation>它不是文本</translation>
    </message>
    <message>
        <location filename="../../backends/safe_names.py" line="81"/>
        <source>it is empty</source>
        <translation>它是空的</translation>
    </message>
    <message>
        <location filename="../../backends/safe_names.py" line="83"/>
        <source>it names a folder, not a file</source>
        <translation>它指向文件夹，而不是文件</translation>
    </message>
    <message>
        <location filename="../../backends/safe_names.py" line="85"/>
        <source>it contains a path separator, &apos;:&apos; or NUL</source>
        <translation>它包含路径分隔符、“:”或 NUL</translation>
    </message>
    <message>
        <location filename="../../backends/safe_names.py" line="87"/>
        <source>it contains a control character</source>
        <translation>它包含控制字符</translation>
    </message>
    <message>
        <location filename="../../backends/safe_names.py" line="91"/>
        <source>it is not valid text</source>
        <translation>它不是有效的文本</translation>
    </message>
    <message>
        <location filename="../../backends/safe_names.py" line="93"/>
        <source>it is longer than {limit} bytes</source>
        <translation>它超过了 {limit} 字节</translation>
    </message>
    <message>
        <location filename="../../backends/safe_names.py" line="111"/>
        <source>The {what} {name} is not a plain file name: {problem}.</source>
        <translation>{what} {name} 不是普通的文件名：{problem}。</translation>
    </message>
    <message>
        <location filename="../../backends/safe_names.py" line="112"/>
        <source>file name</source>
        <translation>文件名</translation>
    </message>
    <message>
        <location filename="../core/describe/pool.py" line="334"/>
        <source>no answer for {seconds} s</source>
        <extracomment>An image that failed this many times while the pool answered other images is the image&apos;s fault (every server refuses it): it becomes an error row instead of dropping every server one after another. Answers so far, all endpoints; and per image: (failures, answers when it first failed).</extracomment>
        <translation>{seconds} 秒内没有回应</translation>
    </message>
    <message numerus="yes">
        <location filename="../core/describe/pool.py" line="353"/>
        <source>every server of the pool failed; %n image(s) not described (run the same command again to continue).</source>
        <translation>
            <numerusform>服务器池中的所有服务器都失败了；%n 张图片未描述（再次运行同一命令即可继续）。</numerusform>
        </translation>
    </message>
</context>
<context>
    <name>ModelManager</name>
    <message>
        <location filename="../qt/models/catalog_row.py" line="62"/>
        <source>fits</source>
        <translation>可运行</translation>
    </message>
    <message>
        <location filename="../qt/models/catalog_row.py" line="64"/>
        <source>tight</source>
        <translation>内存紧张</translation>
    </message>
    <message>
        <location filename="../qt/models/catalog_row.py" line="66"/>
        <source>will not fit</source>
        <translation>内存不足</translation>
    </message>
    <message>
        <location filename="../qt/models/catalog_row.py" line="97"/>
        <source>Cancel</source>
        <translation>取消</translation>
    </message>
    <message>
        <location filename="../qt/models/catalog_row.py" line="152"/>
        <location filename="../qt/models/local_section.py" line="121"/>
        <location filename="../qt/models/ollama_section.py" line="183"/>
        <source>vision</source>
        <translation>视觉</translation>
    </message>
    <message>
        <location filename="../qt/models/catalog_row.py" line="152"/>
        <location filename="../qt/models/ollama_section.py" line="186"/>
        <source>This model can see images</source>
        <translation>此模型可以识别图片</translation>
    </message>
    <message>
        <location filename="../qt/models/catalog_row.py" line="158"/>
        <source>recommended</source>
        <translation>推荐</translation>
    </message>
    <message>
        <location filename="../qt/models/catalog_row.py" line="161"/>
        <source>The best model of the list that this computer&apos;s memory can hold</source>
        <translation>列表中这台电脑内存能运行的最佳模型</translation>
    </message>
    <message>
        <location filename="../qt/models/catalog_row.py" line="165"/>
        <location filename="../qt/models/local_section.py" line="122"/>
        <location filename="../qt/models/ollama_section.py" line="194"/>
        <source>Use</source>
        <translation>使用</translation>
    </message>
    <message>
        <location filename="../qt/models/catalog_row.py" line="165"/>
        <source>Chat with this model</source>
        <translation>与此模型对话</translation>
    </message>
    <message>
        <location filename="../qt/models/catalog_row.py" line="166"/>
        <location filename="../qt/models/local_section.py" line="140"/>
        <source>Remove</source>
        <translation>移除</translation>
    </message>
    <message>
        <location filename="../qt/models/catalog_row.py" line="166"/>
        <source>Delete the downloaded files</source>
        <translation>删除已下载的文件</translation>
    </message>
    <message>
        <location filename="../qt/models/catalog_row.py" line="167"/>
        <location filename="../qt/models/catalog_row.py" line="273"/>
        <location filename="../qt/models/manager.py" line="130"/>
        <source>Download</source>
        <translation>下载</translation>
    </message>
    <message>
        <location filename="../qt/models/catalog_row.py" line="185"/>
        <source>Download progress of {name}</source>
        <translation>{name} 的下载进度</translation>
    </message>
    <message>
        <location filename="../qt/models/catalog_row.py" line="186"/>
        <source>Stop the download; what arrived is kept to resume later</source>
        <translation>停止下载；已下载的部分会保留，稍后可继续</translation>
    </message>
    <message>
        <location filename="../qt/models/catalog_row.py" line="205"/>
        <source>Not enough is known about this computer</source>
        <translation>无法充分了解这台电脑的配置</translation>
    </message>
    <message>
        <location filename="../qt/models/catalog_row.py" line="206"/>
        <source>Fit: {label}</source>
        <translation>适配：{label}</translation>
    </message>
    <message>
        <location filename="../qt/models/catalog_row.py" line="212"/>
        <source>{model} + {mmproj} download</source>
        <translation>下载 {model} + {mmproj}</translation>
    </message>
    <message>
        <location filename="../qt/models/catalog_row.py" line="216"/>
        <source>about {ram} GB of memory</source>
        <translation>约需 {ram} GB 内存</translation>
    </message>
    <message>
        <location filename="../qt/models/catalog_row.py" line="230"/>
        <source>State: downloading</source>
        <translation>状态：下载中</translation>
    </message>
    <message>
        <location filename="../qt/models/catalog_row.py" line="233"/>
        <source>downloaded</source>
        <translation>已下载</translation>
    </message>
    <message>
        <location filename="../qt/models/catalog_row.py" line="235"/>
        <source>found in the Hugging Face cache (used where it is)</source>
        <translation>已在 Hugging Face 缓存中找到（直接使用）</translation>
    </message>
    <message>
        <location filename="../qt/models/catalog_row.py" line="237"/>
        <source>State: {where}</source>
        <translation>状态：{where}</translation>
    </message>
    <message>
        <location filename="../qt/models/catalog_row.py" line="240"/>
        <source>State: partly downloaded ({kept} kept): Resume continues from there</source>
        <translation>状态：部分下载（已保留 {kept}）：点击“继续下载”从断点继续</translation>
    </message>
    <message>
        <location filename="../qt/models/catalog_row.py" line="244"/>
        <source>State: not downloaded</source>
        <translation>状态：未下载</translation>
    </message>
    <message>
        <location filename="../qt/models/catalog_row.py" line="247"/>
        <source> (Ollama already has {name}: it is in the model list)</source>
        <translation>（Ollama 中已有 {name}：它在模型列表中）</translation>
    </message>
    <message>
        <location filename="../qt/models/catalog_row.py" line="269"/>
        <source>Resume</source>
        <translation>继续下载</translation>
    </message>
    <message>
        <location filename="../qt/models/catalog_row.py" line="269"/>
        <source>Continue the download where it stopped</source>
        <translation>从中断处继续下载</translation>
    </message>
    <message>
        <location filename="../qt/models/catalog_row.py" line="271"/>
        <source>Try again</source>
        <translation>重试</translation>
    </message>
    <message>
        <location filename="../qt/models/catalog_row.py" line="271"/>
        <source>Download both files again</source>
        <translation>重新下载两个文件</translation>
    </message>
    <message>
        <location filename="../qt/models/catalog_row.py" line="275"/>
        <source>Download the model and its vision projector ({size})</source>
        <translation>下载模型及其视觉投影文件（{size}）</translation>
    </message>
    <message>
        <location filename="../qt/models/catalog_row.py" line="291"/>
        <source>Contacting the server…</source>
        <translation>正在连接服务器…</translation>
    </message>
    <message>
        <location filename="../qt/models/local_section.py" line="31"/>
        <source>Built in</source>
        <translation>内置</translation>
    </message>
    <message>
        <location filename="../qt/models/local_section.py" line="32"/>
        <source>Added file</source>
        <translation>手动添加</translation>
    </message>
    <message>
        <location filename="../qt/models/local_section.py" line="33"/>
        <source>Downloaded</source>
        <translation>已下载</translation>
    </message>
    <message>
        <location filename="../qt/models/local_section.py" line="34"/>
        <source>In the models folder</source>
        <translation>在模型文件夹中</translation>
    </message>
    <message>
        <location filename="../qt/models/local_section.py" line="35"/>
        <source>In another folder</source>
        <translation>在其他文件夹中</translation>
    </message>
    <message>
        <location filename="../qt/models/local_section.py" line="63"/>
        <source>On this computer</source>
        <translation>本机模型</translation>
    </message>
    <message>
        <location filename="../qt/models/local_section.py" line="66"/>
        <source>No model files yet: download one below.</source>
        <translation>还没有模型文件：请在下方下载。</translation>
    </message>
    <message>
        <location filename="../qt/models/local_section.py" line="112"/>
        <source>sees images</source>
        <translation>可识别图片</translation>
    </message>
    <message>
        <location filename="../qt/models/local_section.py" line="112"/>
        <location filename="../qt/models/ollama_section.py" line="183"/>
        <source>text only</source>
        <translation>仅文本</translation>
    </message>
    <message>
        <location filename="../qt/models/local_section.py" line="122"/>
        <location filename="../qt/models/ollama_section.py" line="194"/>
        <source>Chat with {name}</source>
        <translation>与 {name} 对话</translation>
    </message>
    <message>
        <location filename="../qt/models/local_section.py" line="127"/>
        <source>Show in folder</source>
        <translation>在文件夹中显示</translation>
    </message>
    <message>
        <location filename="../qt/models/local_section.py" line="128"/>
        <source>Open the folder holding {path}</source>
        <translation>打开 {path} 所在的文件夹</translation>
    </message>
    <message>
        <location filename="../qt/models/local_section.py" line="136"/>
        <source>Delete {name} from this computer (asks first)</source>
        <translation>从这台电脑删除 {name}（会先确认）</translation>
    </message>
    <message>
        <location filename="../qt/models/local_section.py" line="138"/>
        <source>Take {name} off the list; the file stays where it is</source>
        <translation>从列表中移除 {name}；文件保留在原处</translation>
    </message>
    <message>
        <location filename="../qt/models/manager.py" line="51"/>
        <source>This computer: {total} GB memory, {free} GB free now</source>
        <translation>这台电脑：内存 {total} GB，当前可用 {free} GB</translation>
    </message>
    <message>
        <location filename="../qt/models/manager.py" line="57"/>
        <source>{free} free disk for models</source>
        <translation>模型可用磁盘空间 {free}</translation>
    </message>
    <message>
        <location filename="../qt/models/manager.py" line="86"/>
        <location filename="../qt/models/manager.py" line="87"/>
        <source>Models</source>
        <extracomment>What the window knows about the model files (``ModelsController.local_models``): given the catalog&apos;s downloads (model id → entry id), the files the manager lists.</extracomment>
        <translation>模型</translation>
    </message>
    <message>
        <location filename="../qt/models/manager.py" line="101"/>
        <source>Vision models for this computer</source>
        <translation>适合这台电脑的视觉模型</translation>
    </message>
    <message>
        <location filename="../qt/models/manager.py" line="104"/>
        <source>Checking memory and disk…</source>
        <translation>正在检查内存和磁盘…</translation>
    </message>
    <message>
        <location filename="../qt/models/manager.py" line="111"/>
        <source>Search models: name, language, what it is good for</source>
        <translation>搜索模型：名称、语言、擅长的任务</translation>
    </message>
    <message>
        <location filename="../qt/models/manager.py" line="112"/>
        <source>Search models</source>
        <translation>搜索模型</translation>
    </message>
    <message>
        <location filename="../qt/models/manager.py" line="159"/>
        <source>Closing this window stops downloads; what arrived is kept, and Resume continues from there.</source>
        <translation>关闭此窗口会停止下载；已下载的部分会保留，点击“继续下载”可从断点继续。</translation>
    </message>
    <message>
        <location filename="../qt/models/manager.py" line="169"/>
        <source>Close (Esc)</source>
        <translation>关闭（Esc）</translation>
    </message>
    <message>
        <location filename="../qt/models/manager.py" line="170"/>
        <source>Close</source>
        <translation>关闭</translation>
    </message>
    <message>
        <location filename="../qt/models/manager.py" line="247"/>
        <source>No catalog model matches “{query}”.</source>
        <translation>目录中没有与“{query}”匹配的模型。</translation>
    </message>
    <message>
        <location filename="../qt/models/manager.py" line="272"/>
        <location filename="../qt/models/ollama_section.py" line="233"/>
        <source>Cancelling…</source>
        <translation>正在取消…</translation>
    </message>
    <message>
        <location filename="../qt/models/manager.py" line="276"/>
        <source>Downloaded and checked ({size}).</source>
        <translation>已下载并校验（{size}）。</translation>
    </message>
    <message>
        <location filename="../qt/models/manager.py" line="295"/>
        <location filename="../qt/models/manager.py" line="329"/>
        <source>Remove model</source>
        <translation>移除模型</translation>
    </message>
    <message>
        <location filename="../qt/models/manager.py" line="297"/>
        <source>Delete {name} ({size}) from this computer? You can download it again later.</source>
        <translation>从这台电脑删除 {name}（{size}）？之后可以重新下载。</translation>
    </message>
    <message>
        <location filename="../qt/models/manager.py" line="311"/>
        <source>Removed; {size} freed.</source>
        <translation>已移除；释放了 {size}。</translation>
    </message>
    <message>
        <location filename="../qt/models/manager.py" line="331"/>
        <source>Delete {name} ({file}, {size}) from LocalSight&apos;s models folder? This deletes the file from this computer.</source>
        <translation>从 LocalSight 的模型文件夹中删除 {name}（{file}，{size}）？文件将从这台电脑上删除。</translation>
    </message>
    <message>
        <location filename="../qt/models/ollama_section.py" line="59"/>
        <source>Ollama</source>
        <translation>Ollama</translation>
    </message>
    <message>
        <location filename="../qt/models/ollama_section.py" line="63"/>
        <source>Check again</source>
        <translation>重新检查</translation>
    </message>
    <message>
        <location filename="../qt/models/ollama_section.py" line="63"/>
        <source>Ask Ollama for its models again</source>
        <translation>重新向 Ollama 获取模型列表</translation>
    </message>
    <message>
        <location filename="../qt/models/ollama_section.py" line="67"/>
        <source>Asking Ollama for its models…</source>
        <translation>正在向 Ollama 获取模型列表…</translation>
    </message>
    <message>
        <location filename="../qt/models/ollama_section.py" line="77"/>
        <source>Pull a model:</source>
        <translation>拉取模型：</translation>
    </message>
    <message>
        <location filename="../qt/models/ollama_section.py" line="83"/>
        <source>An Ollama model name, e.g. gemma3:4b (the catalog&apos;s vision models are listed)</source>
        <translation>Ollama 模型名称，例如 gemma3:4b（已列出目录中的视觉模型）</translation>
    </message>
    <message>
        <location filename="../qt/models/ollama_section.py" line="85"/>
        <source>Ollama model to pull</source>
        <translation>要拉取的 Ollama 模型</translation>
    </message>
    <message>
        <location filename="../qt/models/ollama_section.py" line="88"/>
        <source>Pull</source>
        <translation>拉取</translation>
    </message>
    <message>
        <location filename="../qt/models/ollama_section.py" line="88"/>
        <source>Download this model into Ollama</source>
        <translation>将此模型下载到 Ollama</translation>
    </message>
    <message>
        <location filename="../qt/models/ollama_section.py" line="95"/>
        <source>Pull progress</source>
        <translation>拉取进度</translation>
    </message>
    <message>
        <location filename="../qt/models/ollama_section.py" line="96"/>
        <source>Stop the pull; Ollama keeps what arrived and resumes later</source>
        <translation>停止拉取；Ollama 会保留已下载的部分，稍后可继续</translation>
    </message>
    <message>
        <location filename="../qt/models/ollama_section.py" line="109"/>
        <source>Ollama is not set up in LocalSight.</source>
        <translation>LocalSight 中尚未设置 Ollama。</translation>
    </message>
    <message>
        <location filename="../qt/models/ollama_section.py" line="138"/>
        <source>Ollama is not running at {host}. Start it with “ollama serve” (or open the Ollama app), then press Check again. LocalSight&apos;s own downloads above do not need it.</source>
        <translation>Ollama 未在 {host} 运行。请用“ollama serve”启动它（或打开 Ollama 应用），然后点击“重新检查”。上方 LocalSight 自带的下载不需要 Ollama。</translation>
    </message>
    <message>
        <location filename="../qt/models/ollama_section.py" line="148"/>
        <source>Models Ollama has ({count}):</source>
        <translation>Ollama 中的模型（{count}）：</translation>
    </message>
    <message>
        <location filename="../qt/models/ollama_section.py" line="150"/>
        <source>Ollama is running and has no models yet: pull one below.</source>
        <translation>Ollama 正在运行，但还没有模型：请在下方拉取。</translation>
    </message>
    <message>
        <location filename="../qt/models/ollama_section.py" line="186"/>
        <source>This model cannot see images</source>
        <translation>此模型无法识别图片</translation>
    </message>
    <message>
        <location filename="../qt/models/ollama_section.py" line="197"/>
        <source>Delete {name} from Ollama</source>
        <translation>从 Ollama 删除 {name}</translation>
    </message>
    <message>
        <location filename="../qt/models/ollama_section.py" line="198"/>
        <source>Delete</source>
        <translation>删除</translation>
    </message>
    <message>
        <location filename="../qt/models/ollama_section.py" line="219"/>
        <source>Asking Ollama for {tag}…</source>
        <translation>正在向 Ollama 请求 {tag}…</translation>
    </message>
    <message>
        <location filename="../qt/models/ollama_section.py" line="241"/>
        <source>{tag} is ready in Ollama.</source>
        <translation>{tag} 已在 Ollama 中就绪。</translation>
    </message>
    <message>
        <location filename="../qt/models/ollama_section.py" line="257"/>
        <source>Delete from Ollama</source>
        <translation>从 Ollama 删除</translation>
    </message>
    <message>
        <location filename="../qt/models/ollama_section.py" line="258"/>
        <source>Delete {name} from Ollama? Pulling it again downloads it again.</source>
        <translation>从 Ollama 删除 {name}？再次拉取需要重新下载。</translation>
    </message>
</context>
<context>
    <name>ModelPicker</name>
    <message>
        <location filename="../qt/models/picker.py" line="30"/>
        <source>server</source>
        <translation>服务器</translation>
    </message>
    <message>
        <location filename="../qt/models/picker.py" line="34"/>
        <source>fits</source>
        <extracomment>The memory verdict&apos;s badge text by level, marked so lupdate extracts each (core is Qt-free).</extracomment>
        <translation>可运行</translation>
    </message>
    <message>
        <location filename="../qt/models/picker.py" line="35"/>
        <source>tight</source>
        <translation>内存紧张</translation>
    </message>
    <message>
        <location filename="../qt/models/picker.py" line="36"/>
        <source>too big</source>
        <translation>内存不足</translation>
    </message>
    <message>
        <location filename="../qt/models/picker.py" line="45"/>
        <source>sees images</source>
        <translation>可识别图片</translation>
    </message>
    <message>
        <location filename="../qt/models/picker.py" line="45"/>
        <location filename="../qt/models/picker.py" line="125"/>
        <source>text only</source>
        <translation>仅文本</translation>
    </message>
    <message>
        <location filename="../qt/models/picker.py" line="65"/>
        <source>Model:</source>
        <translation>模型：</translation>
    </message>
    <message>
        <location filename="../qt/models/picker.py" line="72"/>
        <source>The model that answers (Ctrl+K)</source>
        <translation>负责回答的模型（Ctrl+K）</translation>
    </message>
    <message>
        <location filename="../qt/models/picker.py" line="73"/>
        <source>Model</source>
        <translation>模型</translation>
    </message>
    <message>
        <location filename="../qt/models/picker.py" line="80"/>
        <source>Looking for models…</source>
        <translation>正在查找模型…</translation>
    </message>
    <message>
        <location filename="../qt/models/picker.py" line="102"/>
        <source>No models found — add a .gguf in Settings</source>
        <translation>未找到模型 — 请在设置中添加 .gguf</translation>
    </message>
    <message>
        <location filename="../qt/models/picker.py" line="125"/>
        <source>vision</source>
        <translation>视觉</translation>
    </message>
    <message>
        <location filename="../qt/models/picker.py" line="130"/>
        <source>This model can see images</source>
        <translation>此模型可以识别图片</translation>
    </message>
    <message>
        <location filename="../qt/models/picker.py" line="133"/>
        <source>This model cannot see images: pick a vision model (one with an mmproj file) to ask about pictures</source>
        <translation>此模型无法识别图片：如需询问图片，请选择视觉模型（带 mmproj 文件的模型）</translation>
    </message>
</context>
<context>
    <name>Overlays</name>
    <message>
        <location filename="../qt/common/overlays.py" line="28"/>
        <source>Send the message</source>
        <extracomment>(keys, what they do); marked for lupdate, translated where shown (``tr`` at use).</extracomment>
        <translation>发送消息</translation>
    </message>
    <message>
        <location filename="../qt/common/overlays.py" line="29"/>
        <source>New line in the message</source>
        <translation>在消息中换行</translation>
    </message>
    <message>
        <location filename="../qt/common/overlays.py" line="30"/>
        <source>Stop the answer / cancel editing</source>
        <translation>停止回答 / 取消编辑</translation>
    </message>
    <message>
        <location filename="../qt/common/overlays.py" line="32"/>
        <source>Up (in an empty message box)</source>
        <translation>Up（输入框为空时）</translation>
    </message>
    <message>
        <location filename="../qt/common/overlays.py" line="33"/>
        <source>Edit your last message</source>
        <translation>编辑你的上一条消息</translation>
    </message>
    <message>
        <location filename="../qt/common/overlays.py" line="35"/>
        <source>New chat</source>
        <translation>新建对话</translation>
    </message>
    <message>
        <location filename="../qt/common/overlays.py" line="36"/>
        <source>Choose the model</source>
        <translation>选择模型</translation>
    </message>
    <message>
        <location filename="../qt/common/overlays.py" line="37"/>
        <source>Manage models: download, remove, Ollama</source>
        <translation>管理模型：下载、移除、Ollama</translation>
    </message>
    <message>
        <location filename="../qt/common/overlays.py" line="38"/>
        <source>Search chats</source>
        <translation>搜索对话</translation>
    </message>
    <message>
        <location filename="../qt/common/overlays.py" line="39"/>
        <source>Attach images</source>
        <translation>附加图片</translation>
    </message>
    <message>
        <location filename="../qt/common/overlays.py" line="40"/>
        <source>Describe many images, one by one</source>
        <translation>逐张描述多张图片</translation>
    </message>
    <message>
        <location filename="../qt/common/overlays.py" line="41"/>
        <source>Paste an image or copied files</source>
        <translation>粘贴图片或已复制的文件</translation>
    </message>
    <message>
        <location filename="../qt/common/overlays.py" line="42"/>
        <source>Copy the last answer</source>
        <translation>复制最后的回答</translation>
    </message>
    <message>
        <location filename="../qt/common/overlays.py" line="43"/>
        <source>Regenerate the last answer</source>
        <translation>重新生成最后的回答</translation>
    </message>
    <message>
        <location filename="../qt/common/overlays.py" line="46"/>
        <source>Export the chat (Markdown with images, or JSON)</source>
        <translation>导出对话（带图片的 Markdown 或 JSON）</translation>
    </message>
    <message>
        <location filename="../qt/common/overlays.py" line="48"/>
        <source>Settings</source>
        <translation>设置</translation>
    </message>
    <message>
        <location filename="../qt/common/overlays.py" line="49"/>
        <source>Larger / smaller text in the conversation</source>
        <translation>放大 / 缩小对话文字</translation>
    </message>
    <message>
        <location filename="../qt/common/overlays.py" line="50"/>
        <source>Usual text size</source>
        <translation>默认文字大小</translation>
    </message>
    <message>
        <location filename="../qt/common/overlays.py" line="51"/>
        <source>This list</source>
        <translation>此列表</translation>
    </message>
    <message>
        <location filename="../qt/common/overlays.py" line="69"/>
        <source>Drop images to attach</source>
        <extracomment>Space above and below a shortcut&apos;s text in its row, so the list does not look cramped.</extracomment>
        <translation>松开以附加图片</translation>
    </message>
    <message>
        <location filename="../qt/common/overlays.py" line="115"/>
        <source>‹ Previous</source>
        <translation>‹ 上一张</translation>
    </message>
    <message>
        <location filename="../qt/common/overlays.py" line="116"/>
        <source>The chat&apos;s previous image (←)</source>
        <translation>对话中的上一张图片（←）</translation>
    </message>
    <message>
        <location filename="../qt/common/overlays.py" line="118"/>
        <source>Next ›</source>
        <translation>下一张 ›</translation>
    </message>
    <message>
        <location filename="../qt/common/overlays.py" line="119"/>
        <source>The chat&apos;s next image (→)</source>
        <translation>对话中的下一张图片（→）</translation>
    </message>
    <message>
        <location filename="../qt/common/overlays.py" line="124"/>
        <source>Switch between fitting the window and actual size (F)</source>
        <translation>在适应窗口和实际大小之间切换（F）</translation>
    </message>
    <message>
        <location filename="../qt/common/overlays.py" line="126"/>
        <source>Close</source>
        <translation>关闭</translation>
    </message>
    <message>
        <location filename="../qt/common/overlays.py" line="192"/>
        <source>{number} of {count}</source>
        <translation>{number} / {count}</translation>
    </message>
    <message>
        <location filename="../qt/common/overlays.py" line="194"/>
        <source>Image</source>
        <translation>图片</translation>
    </message>
    <message>
        <location filename="../qt/common/overlays.py" line="195"/>
        <source>Image {position}</source>
        <translation>图片 {position}</translation>
    </message>
    <message>
        <location filename="../qt/common/overlays.py" line="206"/>
        <source>Actual size (100 %)</source>
        <translation>实际大小（100%）</translation>
    </message>
    <message>
        <location filename="../qt/common/overlays.py" line="206"/>
        <source>Fit to window</source>
        <translation>适应窗口</translation>
    </message>
    <message>
        <location filename="../qt/common/overlays.py" line="238"/>
        <location filename="../qt/common/overlays.py" line="253"/>
        <source>Keyboard shortcuts</source>
        <translation>键盘快捷键</translation>
    </message>
    <message>
        <location filename="../qt/common/overlays.py" line="241"/>
        <source>Keys</source>
        <translation>按键</translation>
    </message>
    <message>
        <location filename="../qt/common/overlays.py" line="241"/>
        <source>Action</source>
        <translation>操作</translation>
    </message>
</context>
<context>
    <name>SettingsDialog</name>
    <message>
        <location filename="../qt/settings/dialog.py" line="78"/>
        <source>Settings</source>
        <extracomment>Each language by its own name, never translated (as every app lists them): a person who cannot read the language shown must still find theirs. &quot;system&quot; is translated.</extracomment>
        <translation>设置</translation>
    </message>
    <message>
        <location filename="../qt/settings/dialog.py" line="85"/>
        <source>Chat</source>
        <translation>对话</translation>
    </message>
    <message>
        <location filename="../qt/settings/dialog.py" line="88"/>
        <source>Models and servers</source>
        <translation>模型与服务器</translation>
    </message>
    <message>
        <location filename="../qt/settings/dialog.py" line="92"/>
        <source>Automatic (free cores)</source>
        <translation>自动（空闲核心）</translation>
    </message>
    <message>
        <location filename="../qt/settings/dialog.py" line="96"/>
        <source>Threads</source>
        <translation>线程数</translation>
    </message>
    <message>
        <location filename="../qt/settings/dialog.py" line="98"/>
        <source>CPU threads for llama.cpp. Automatic uses the cores that are free now.</source>
        <translation>llama.cpp 使用的 CPU 线程数。“自动”会使用当前空闲的核心。</translation>
    </message>
    <message>
        <location filename="../qt/settings/dialog.py" line="107"/>
        <source>Context size (tokens)</source>
        <translation>上下文长度（token）</translation>
    </message>
    <message>
        <location filename="../qt/settings/dialog.py" line="109"/>
        <source>How much conversation the model keeps in mind. More uses more memory.</source>
        <translation>模型能记住多少对话内容。越大占用内存越多。</translation>
    </message>
    <message>
        <location filename="../qt/settings/dialog.py" line="118"/>
        <source>Temperature</source>
        <translation>温度</translation>
    </message>
    <message>
        <location filename="../qt/settings/dialog.py" line="120"/>
        <source>0 gives the same answer every time; higher is more varied.</source>
        <translation>为 0 时每次回答相同；越高回答越多样。</translation>
    </message>
    <message>
        <location filename="../qt/settings/dialog.py" line="128"/>
        <source>Longest answer (tokens)</source>
        <translation>最长回答（token）</translation>
    </message>
    <message>
        <location filename="../qt/settings/dialog.py" line="130"/>
        <source>Answers stop after this many tokens.</source>
        <translation>回答达到此 token 数后停止。</translation>
    </message>
    <message>
        <location filename="../qt/settings/dialog.py" line="139"/>
        <source>Image size (long edge, px)</source>
        <translation>图片尺寸（长边，像素）</translation>
    </message>
    <message>
        <location filename="../qt/settings/dialog.py" line="142"/>
        <source>Images are shrunk to this before the model sees them. Reading small text wants more; a Raspberry Pi is faster with less.</source>
        <translation>图片交给模型前会缩小到此尺寸。识别小字需要更大尺寸；树莓派上尺寸越小越快。</translation>
    </message>
    <message>
        <location filename="../qt/settings/dialog.py" line="152"/>
        <source>Images described at once</source>
        <translation>同时描述的图片数</translation>
    </message>
    <message>
        <location filename="../qt/settings/dialog.py" line="155"/>
        <source>For Describe each. Applies to Ollama and OpenAI-compatible servers that answer in parallel (OLLAMA_NUM_PARALLEL, llama-server -np); the built-in llama.cpp always reads one image at a time.</source>
        <translation>用于“逐张描述”。适用于能并行应答的 Ollama 和 OpenAI 兼容服务器（OLLAMA_NUM_PARALLEL、llama-server -np）；内置的 llama.cpp 始终一次读取一张图片。</translation>
    </message>
    <message>
        <location filename="../qt/settings/dialog.py" line="166"/>
        <source>System prompt</source>
        <translation>系统提示词</translation>
    </message>
    <message>
        <location filename="../qt/settings/dialog.py" line="168"/>
        <source>Instructions given to the model before every new conversation.</source>
        <translation>每次新对话开始前提供给模型的指令。</translation>
    </message>
    <message>
        <location filename="../qt/settings/dialog.py" line="182"/>
        <source>Browse…</source>
        <translation>浏览…</translation>
    </message>
    <message>
        <location filename="../qt/settings/dialog.py" line="183"/>
        <source>Choose a folder with .gguf models</source>
        <translation>选择存放 .gguf 模型的文件夹</translation>
    </message>
    <message>
        <location filename="../qt/settings/dialog.py" line="184"/>
        <source>Browse for a models folder</source>
        <translation>浏览模型文件夹</translation>
    </message>
    <message>
        <location filename="../qt/settings/dialog.py" line="190"/>
        <location filename="../qt/settings/dialog.py" line="197"/>
        <source>Extra models folder</source>
        <translation>额外模型文件夹</translation>
    </message>
    <message>
        <location filename="../qt/settings/dialog.py" line="193"/>
        <source>Another folder to look for .gguf models in (the app&apos;s own models folder is always used).</source>
        <translation>另一个查找 .gguf 模型的文件夹（应用自己的模型文件夹始终会使用）。</translation>
    </message>
    <message>
        <location filename="../qt/settings/dialog.py" line="203"/>
        <source>Ollama address</source>
        <translation>Ollama 地址</translation>
    </message>
    <message>
        <location filename="../qt/settings/dialog.py" line="206"/>
        <source>Where Ollama listens. Keep it on this machine (127.0.0.1) unless you trust the network.</source>
        <translation>Ollama 的监听地址。除非信任所在网络，否则请保持为本机（127.0.0.1）。</translation>
    </message>
    <message>
        <location filename="../qt/settings/dialog.py" line="232"/>
        <source>LocalSight keeps what the model read from each image, so an image it has seen before (a reopened chat, the same screenshot again, describe run once more) is ready at once instead of being read again. Only these readings are kept, never the images or the chats; clearing is always safe: an image is simply read again the next time.</source>
        <translation>LocalSight 会保存模型从每张图片读取的结果，这样看过的图片（重新打开的对话、再次出现的同一张截图、再次运行的批量描述）可以立即使用，无需重新读取。这里只保存这些读取结果，不保存图片或对话；清除总是安全的：图片只会在下次用到时重新读取。</translation>
    </message>
    <message>
        <location filename="../qt/settings/dialog.py" line="256"/>
        <source>The most the image cache keeps on disk; the least recently used images go first. 0 turns it off. A new size takes effect the next time LocalSight starts.</source>
        <translation>图片缓存在磁盘上最多占用的空间；最久未用的图片先被删除。设为 0 即关闭。新的大小在下次启动 LocalSight 时生效。</translation>
    </message>
    <message>
        <location filename="../qt/settings/dialog.py" line="270"/>
        <source>Conversations kept on disk</source>
        <translation>磁盘上保留的对话</translation>
    </message>
    <message>
        <location filename="../qt/settings/dialog.py" line="273"/>
        <source>The most kept on disk of what the model read of recent chats; the least recently used go first. 0 turns it off. A new size takes effect the next time LocalSight starts.</source>
        <translation>磁盘上最多保留多少模型对最近对话已读取的内容；最久未用的先被删除。0 表示关闭。新的大小在下次启动 LocalSight 时生效。</translation>
    </message>
    <message>
        <location filename="../qt/settings/dialog.py" line="284"/>
        <source>Clear</source>
        <translation>清除</translation>
    </message>
    <message>
        <location filename="../qt/settings/dialog.py" line="285"/>
        <source>Clear the image cache</source>
        <translation>清除图片缓存</translation>
    </message>
    <message>
        <location filename="../qt/settings/dialog.py" line="287"/>
        <source>Delete every kept image reading, on disk and in the running model. Always safe.</source>
        <translation>删除所有已保存的图片读取结果，包括磁盘上和正在运行的模型中的。总是安全的。</translation>
    </message>
    <message>
        <location filename="../qt/settings/dialog.py" line="292"/>
        <source>Kept now</source>
        <translation>当前保存</translation>
    </message>
    <message numerus="yes">
        <location filename="../qt/settings/dialog.py" line="302"/>
        <source>Using {size} in %n image(s).</source>
        <translation>
            <numerusform>已用 {size}，共 %n 张图片。</numerusform>
        </translation>
    </message>
    <message>
        <location filename="../qt/settings/dialog.py" line="304"/>
        <source>Empty.</source>
        <translation>空。</translation>
    </message>
    <message>
        <location filename="../qt/settings/dialog.py" line="306"/>
        <source>{usage} The cache is off.</source>
        <translation>{usage} 缓存已关闭。</translation>
    </message>
    <message numerus="yes">
        <location filename="../qt/settings/dialog.py" line="309"/>
        <source>Conversations: {size} in %n file(s).</source>
        <translation>
            <numerusform>对话：%n 个文件，共 {size}。</numerusform>
        </translation>
    </message>
    <message>
        <location filename="../qt/settings/dialog.py" line="325"/>
        <source>Clearing…</source>
        <translation>正在清除…</translation>
    </message>
    <message>
        <location filename="../qt/settings/dialog.py" line="338"/>
        <source>Cleared; {size} freed.</source>
        <translation>已清除；释放了 {size}。</translation>
    </message>
    <message>
        <location filename="../qt/settings/dialog.py" line="343"/>
        <source>Could not clear the image cache: {error}</source>
        <translation>无法清除图片缓存：{error}</translation>
    </message>
    <message>
        <location filename="../qt/settings/dialog.py" line="350"/>
        <source>Appearance</source>
        <translation>外观</translation>
    </message>
    <message>
        <location filename="../qt/settings/dialog.py" line="352"/>
        <location filename="../qt/settings/dialog.py" line="364"/>
        <source>Same as the system</source>
        <translation>跟随系统</translation>
    </message>
    <message>
        <location filename="../qt/settings/dialog.py" line="352"/>
        <source>Light</source>
        <translation>浅色</translation>
    </message>
    <message>
        <location filename="../qt/settings/dialog.py" line="352"/>
        <source>Dark</source>
        <translation>深色</translation>
    </message>
    <message>
        <location filename="../qt/settings/dialog.py" line="358"/>
        <source>Theme</source>
        <translation>主题</translation>
    </message>
    <message>
        <location filename="../qt/settings/dialog.py" line="360"/>
        <source>Light or dark windows; “Same as the system” follows the desktop&apos;s choice.</source>
        <translation>浅色或深色窗口；“跟随系统”会使用桌面的设置。</translation>
    </message>
    <message>
        <location filename="../qt/settings/dialog.py" line="368"/>
        <source>Language</source>
        <translation>语言</translation>
    </message>
    <message>
        <location filename="../qt/settings/dialog.py" line="371"/>
        <source>The language of the window. It changes at once; while an answer is being written, when it ends.</source>
        <translation>窗口的显示语言。立即生效；如果正在写回答，则在回答写完后生效。</translation>
    </message>
    <message>
        <location filename="../qt/settings/dialog.py" line="382"/>
        <source>Text size</source>
        <translation>文字大小</translation>
    </message>
    <message>
        <location filename="../qt/settings/dialog.py" line="385"/>
        <source>The size of the conversation&apos;s text, code included. Ctrl+= and Ctrl+- change it too; Ctrl+0 goes back to 100 %.</source>
        <translation>对话文字（包括代码）的大小。也可用 Ctrl+= 和 Ctrl+- 调整；Ctrl+0 恢复为 100%。</translation>
    </message>
    <message>
        <location filename="../qt/settings/dialog.py" line="249"/>
        <location filename="../qt/settings/dialog.py" line="266"/>
        <location filename="../qt/settings/dialog.py" line="393"/>
        <source>Off</source>
        <translation>不使用</translation>
    </message>
    <message>
        <location filename="../qt/settings/dialog.py" line="229"/>
        <source>Caches</source>
        <translation>缓存</translation>
    </message>
    <message>
        <location filename="../qt/settings/dialog.py" line="239"/>
        <source>It also keeps what the model has read of recent chats, so a chat reopened after a restart answers without reading it all again.</source>
        <translation>它还会保留模型对最近对话已读取的内容，因此重启后重新打开的对话无需从头再读一遍即可回答。</translation>
    </message>
    <message>
        <location filename="../qt/settings/dialog.py" line="253"/>
        <source>Images kept on disk</source>
        <translation>磁盘上保留的图片</translation>
    </message>
    <message>
        <location filename="../qt/settings/dialog.py" line="396"/>
        <source>Another address…</source>
        <translation>其他地址…</translation>
    </message>
    <message>
        <location filename="../qt/settings/dialog.py" line="399"/>
        <source>OpenAI-compatible server</source>
        <translation>OpenAI 兼容服务器</translation>
    </message>
    <message>
        <location filename="../qt/settings/dialog.py" line="402"/>
        <source>Also list the models of a server that speaks the OpenAI API: llama-server, llamafile, LM Studio, vLLM, on this machine or another one.</source>
        <translation>同时列出兼容 OpenAI API 的服务器上的模型：llama-server、llamafile、LM Studio、vLLM，可在本机或其他机器上。</translation>
    </message>
    <message>
        <location filename="../qt/settings/dialog.py" line="410"/>
        <source>Server address</source>
        <translation>服务器地址</translation>
    </message>
    <message>
        <location filename="../qt/settings/dialog.py" line="412"/>
        <source>The server&apos;s base URL, ending in /v1. Use https for a machine on a network.</source>
        <translation>服务器的基础 URL，以 /v1 结尾。网络上的机器请使用 https。</translation>
    </message>
    <message>
        <location filename="../qt/settings/dialog.py" line="418"/>
        <source>API key variable</source>
        <translation>API 密钥变量</translation>
    </message>
    <message>
        <location filename="../qt/settings/dialog.py" line="421"/>
        <source>The name of an environment variable holding the server&apos;s key, if it wants one. The key itself is never saved in the chats.</source>
        <translation>存放服务器密钥的环境变量名（如果服务器需要密钥）。密钥本身不会保存在对话中。</translation>
    </message>
    <message>
        <location filename="../qt/settings/dialog.py" line="426"/>
        <source>model names, separated by commas</source>
        <translation>模型名称，用英文逗号分隔</translation>
    </message>
    <message>
        <location filename="../qt/settings/dialog.py" line="429"/>
        <source>Models that see images</source>
        <translation>可识别图片的模型</translation>
    </message>
    <message>
        <location filename="../qt/settings/dialog.py" line="432"/>
        <source>For servers that do not say which models accept images (LM Studio, vLLM). llama-server reports it itself.</source>
        <translation>用于不说明哪些模型接受图片的服务器（LM Studio、vLLM）。llama-server 会自行报告。</translation>
    </message>
    <message>
        <location filename="../qt/settings/dialog.py" line="471"/>
        <source>Models folder</source>
        <translation>模型文件夹</translation>
    </message>
</context>
<context>
    <name>Sidebar</name>
    <message>
        <location filename="../qt/chat/sidebar.py" line="88"/>
        <source>+  New chat</source>
        <extracomment>A search hit&apos;s matching message id (None for a plain row). Whether the row&apos;s chat is pinned. Put before the title of the chat that is answering. A search hit was chosen: its chat and the message that matched.</extracomment>
        <translation>+  新建对话</translation>
    </message>
    <message>
        <location filename="../qt/chat/sidebar.py" line="89"/>
        <source>Start a new conversation (Ctrl+N)</source>
        <translation>开始新对话（Ctrl+N）</translation>
    </message>
    <message>
        <location filename="../qt/chat/sidebar.py" line="90"/>
        <location filename="../qt/chat/sidebar.py" line="149"/>
        <source>New chat</source>
        <translation>新建对话</translation>
    </message>
    <message>
        <location filename="../qt/chat/sidebar.py" line="96"/>
        <source>Search chats (Ctrl+F)</source>
        <translation>搜索对话（Ctrl+F）</translation>
    </message>
    <message>
        <location filename="../qt/chat/sidebar.py" line="98"/>
        <source>Search conversations</source>
        <translation>搜索对话</translation>
    </message>
    <message>
        <location filename="../qt/chat/sidebar.py" line="99"/>
        <source>Find words in any message</source>
        <translation>在所有消息中查找文字</translation>
    </message>
    <message>
        <location filename="../qt/chat/sidebar.py" line="109"/>
        <source>Conversations</source>
        <translation>对话列表</translation>
    </message>
    <message>
        <location filename="../qt/chat/sidebar.py" line="112"/>
        <source>Your conversations, newest first. F2 renames the selected chat, Delete deletes it; right-click for both.</source>
        <translation>你的对话，最新的在前。F2 重命名所选对话，Delete 删除；右键菜单中也有这两项。</translation>
    </message>
    <message>
        <location filename="../qt/chat/sidebar.py" line="157"/>
        <source>Answering now — Esc or Chat → Stop stops it</source>
        <translation>正在回答 — 按 Esc 或“对话 → 停止”可停止</translation>
    </message>
    <message>
        <location filename="../qt/chat/sidebar.py" line="160"/>
        <source>{title}, answering now</source>
        <translation>{title}，正在回答</translation>
    </message>
    <message>
        <location filename="../qt/chat/sidebar.py" line="170"/>
        <source>{title}, pinned</source>
        <translation>{title}，已置顶</translation>
    </message>
    <message>
        <location filename="../qt/chat/sidebar.py" line="201"/>
        <source>No chats match “{query}”.</source>
        <translation>没有与“{query}”匹配的对话。</translation>
    </message>
    <message>
        <location filename="../qt/chat/sidebar.py" line="273"/>
        <source>Rename…</source>
        <translation>重命名…</translation>
    </message>
    <message>
        <location filename="../qt/chat/sidebar.py" line="275"/>
        <source>Delete…</source>
        <translation>删除…</translation>
    </message>
    <message>
        <location filename="../qt/chat/sidebar.py" line="279"/>
        <source>Unpin</source>
        <translation>取消置顶</translation>
    </message>
    <message>
        <location filename="../qt/chat/sidebar.py" line="279"/>
        <source>Pin to the top</source>
        <translation>置顶</translation>
    </message>
</context>
<context>
    <name>Transfers</name>
    <message>
        <location filename="../qt/models/transfers.py" line="57"/>
        <source>{seconds} s left</source>
        <translation>剩余 {seconds} 秒</translation>
    </message>
    <message>
        <location filename="../qt/models/transfers.py" line="59"/>
        <source>about {minutes} min left</source>
        <translation>约剩 {minutes} 分钟</translation>
    </message>
    <message>
        <location filename="../qt/models/transfers.py" line="61"/>
        <source>about {h} h {m} min left</source>
        <translation>约剩 {h} 小时 {m} 分钟</translation>
    </message>
    <message>
        <location filename="../qt/models/transfers.py" line="67"/>
        <source>{done} of {total}</source>
        <translation>{done}/{total}</translation>
    </message>
    <message>
        <location filename="../qt/models/transfers.py" line="82"/>
        <source>Checking {name}…</source>
        <translation>正在校验 {name}…</translation>
    </message>
    <message>
        <location filename="../qt/models/transfers.py" line="84"/>
        <source>Contacting the server…</source>
        <translation>正在连接服务器…</translation>
    </message>
    <message>
        <location filename="../qt/models/transfers.py" line="218"/>
        <source>The pull was cancelled; Ollama resumes it next time.</source>
        <translation>已取消拉取；Ollama 下次会继续。</translation>
    </message>
    <message>
        <location filename="../qt/models/transfers.py" line="222"/>
        <source>Ollama ended the pull without saying it succeeded.</source>
        <translation>Ollama 结束了拉取，但未报告成功。</translation>
    </message>
</context>
<context>
    <name>Workers</name>
    <message>
        <location filename="../qt/common/workers.py" line="33"/>
        <source>Something went wrong: {kind}: {error}</source>
        <translation>出错了：{kind}：{error}</translation>
    </message>
    <message>
        <location filename="../qt/common/workers.py" line="149"/>
        <source>pasted image</source>
        <translation>粘贴的图片</translation>
    </message>
    <message>
        <location filename="../qt/common/workers.py" line="162"/>
        <source>{name} could not be opened: {error}</source>
        <translation>无法打开 {name}：{error}</translation>
    </message>
</context>
</TS>
