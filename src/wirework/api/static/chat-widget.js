/* Wirework chat widget: a chat bubble that opens a workflow's hosted chat page in a frame.
 *
 *   <script src="https://wirework.example/chat/widget.js" data-workflow="42"
 *           data-title="Ask us" data-position="right"></script>
 *
 * Self-contained (no other file is loaded but the chat page itself). The page embedding it
 * must be one of the chat trigger's allowed_origins, or the browser refuses the frame. */
(function () {
  "use strict";
  var script = document.currentScript;
  if (!script) return;
  var workflow = script.getAttribute("data-workflow") || "";
  if (!/^[0-9]+$/.test(workflow)) {
    console.error("Wirework chat widget: data-workflow must be a workflow id");
    return;
  }
  var base = new URL(script.src, document.baseURI).origin;
  var title = script.getAttribute("data-title") || "Chat";
  var side = script.getAttribute("data-position") === "left" ? "left" : "right";
  var color = script.getAttribute("data-color") || "#4f46e5";

  var root = document.createElement("div");
  root.setAttribute("data-wirework-chat", workflow);
  root.style.cssText =
    "position:fixed;bottom:20px;" + side + ":20px;z-index:2147483000;font-family:sans-serif";

  var frame = document.createElement("iframe");
  frame.title = title;
  frame.src = base + "/chat/" + workflow + "?embed=1";
  frame.setAttribute("allow", "clipboard-write");
  frame.style.cssText =
    "display:none;width:min(380px,calc(100vw - 40px));height:min(560px,calc(100vh - 110px));" +
    "border:1px solid #d4d4d8;border-radius:12px;box-shadow:0 8px 30px rgba(0,0,0,.18);" +
    "background:#fff;margin-bottom:12px";

  var button = document.createElement("button");
  button.type = "button";
  button.setAttribute("aria-label", title);
  button.setAttribute("aria-expanded", "false");
  button.style.cssText =
    "display:block;margin-" + (side === "left" ? "right" : "left") + ":auto;width:56px;" +
    "height:56px;border-radius:50%;border:none;cursor:pointer;color:#fff;background:" +
    color + ";box-shadow:0 4px 14px rgba(0,0,0,.25);font-size:26px;line-height:56px";
  button.textContent = "\u{1F4AC}";

  button.addEventListener("click", function () {
    var open = frame.style.display === "none";
    frame.style.display = open ? "block" : "none";
    button.setAttribute("aria-expanded", open ? "true" : "false");
    button.textContent = open ? "\u00D7" : "\u{1F4AC}";
  });

  root.appendChild(frame);
  root.appendChild(button);
  (document.body || document.documentElement).appendChild(root);
})();
