var e=globalThis,t=e.ShadowRoot&&(e.ShadyCSS===void 0||e.ShadyCSS.nativeShadow)&&`adoptedStyleSheets`in Document.prototype&&`replace`in CSSStyleSheet.prototype,n=Symbol(),r=new WeakMap,i=class{constructor(e,t,r){if(this._$cssResult$=!0,r!==n)throw Error("CSSResult is not constructable. Use `unsafeCSS` or `css` instead.");this.cssText=e,this.t=t}get styleSheet(){let e=this.o,n=this.t;if(t&&e===void 0){let t=n!==void 0&&n.length===1;t&&(e=r.get(n)),e===void 0&&((this.o=e=new CSSStyleSheet).replaceSync(this.cssText),t&&r.set(n,e))}return e}toString(){return this.cssText}},a=e=>new i(typeof e==`string`?e:e+``,void 0,n),o=(e,...t)=>new i(e.length===1?e[0]:t.reduce((t,n,r)=>t+(e=>{if(!0===e._$cssResult$)return e.cssText;if(typeof e==`number`)return e;throw Error(`Value passed to 'css' function must be a 'css' function result: `+e+`. Use 'unsafeCSS' to pass non-literal values, but take care to ensure page security.`)})(n)+e[r+1],e[0]),e,n),s=(n,r)=>{if(t)n.adoptedStyleSheets=r.map(e=>e instanceof CSSStyleSheet?e:e.styleSheet);else for(let t of r){let r=document.createElement(`style`),i=e.litNonce;i!==void 0&&r.setAttribute(`nonce`,i),r.textContent=t.cssText,n.appendChild(r)}},c=t?e=>e:e=>e instanceof CSSStyleSheet?(e=>{let t=``;for(let n of e.cssRules)t+=n.cssText;return a(t)})(e):e,{is:l,defineProperty:u,getOwnPropertyDescriptor:d,getOwnPropertyNames:f,getOwnPropertySymbols:p,getPrototypeOf:m}=Object,h=globalThis,ee=h.trustedTypes,te=ee?ee.emptyScript:``,ne=h.reactiveElementPolyfillSupport,g=(e,t)=>e,re={toAttribute(e,t){switch(t){case Boolean:e=e?te:null;break;case Object:case Array:e=e==null?e:JSON.stringify(e)}return e},fromAttribute(e,t){let n=e;switch(t){case Boolean:n=e!==null;break;case Number:n=e===null?null:Number(e);break;case Object:case Array:try{n=JSON.parse(e)}catch{n=null}}return n}},ie=(e,t)=>!l(e,t),ae={attribute:!0,type:String,converter:re,reflect:!1,useDefault:!1,hasChanged:ie};Symbol.metadata??=Symbol(`metadata`),h.litPropertyMetadata??=new WeakMap;var _=class extends HTMLElement{static addInitializer(e){this._$Ei(),(this.l??=[]).push(e)}static get observedAttributes(){return this.finalize(),this._$Eh&&[...this._$Eh.keys()]}static createProperty(e,t=ae){if(t.state&&(t.attribute=!1),this._$Ei(),this.prototype.hasOwnProperty(e)&&((t=Object.create(t)).wrapped=!0),this.elementProperties.set(e,t),!t.noAccessor){let n=Symbol(),r=this.getPropertyDescriptor(e,n,t);r!==void 0&&u(this.prototype,e,r)}}static getPropertyDescriptor(e,t,n){let{get:r,set:i}=d(this.prototype,e)??{get(){return this[t]},set(e){this[t]=e}};return{get:r,set(t){let a=r?.call(this);i?.call(this,t),this.requestUpdate(e,a,n)},configurable:!0,enumerable:!0}}static getPropertyOptions(e){return this.elementProperties.get(e)??ae}static _$Ei(){if(this.hasOwnProperty(g(`elementProperties`)))return;let e=m(this);e.finalize(),e.l!==void 0&&(this.l=[...e.l]),this.elementProperties=new Map(e.elementProperties)}static finalize(){if(this.hasOwnProperty(g(`finalized`)))return;if(this.finalized=!0,this._$Ei(),this.hasOwnProperty(g(`properties`))){let e=this.properties,t=[...f(e),...p(e)];for(let n of t)this.createProperty(n,e[n])}let e=this[Symbol.metadata];if(e!==null){let t=litPropertyMetadata.get(e);if(t!==void 0)for(let[e,n]of t)this.elementProperties.set(e,n)}this._$Eh=new Map;for(let[e,t]of this.elementProperties){let n=this._$Eu(e,t);n!==void 0&&this._$Eh.set(n,e)}this.elementStyles=this.finalizeStyles(this.styles)}static finalizeStyles(e){let t=[];if(Array.isArray(e)){let n=new Set(e.flat(1/0).reverse());for(let e of n)t.unshift(c(e))}else e!==void 0&&t.push(c(e));return t}static _$Eu(e,t){let n=t.attribute;return!1===n?void 0:typeof n==`string`?n:typeof e==`string`?e.toLowerCase():void 0}constructor(){super(),this._$Ep=void 0,this.isUpdatePending=!1,this.hasUpdated=!1,this._$Em=null,this._$Ev()}_$Ev(){this._$ES=new Promise(e=>this.enableUpdating=e),this._$AL=new Map,this._$E_(),this.requestUpdate(),this.constructor.l?.forEach(e=>e(this))}addController(e){(this._$EO??=new Set).add(e),this.renderRoot!==void 0&&this.isConnected&&e.hostConnected?.()}removeController(e){this._$EO?.delete(e)}_$E_(){let e=new Map,t=this.constructor.elementProperties;for(let n of t.keys())this.hasOwnProperty(n)&&(e.set(n,this[n]),delete this[n]);e.size>0&&(this._$Ep=e)}createRenderRoot(){let e=this.shadowRoot??this.attachShadow(this.constructor.shadowRootOptions);return s(e,this.constructor.elementStyles),e}connectedCallback(){this.renderRoot??=this.createRenderRoot(),this.enableUpdating(!0),this._$EO?.forEach(e=>e.hostConnected?.())}enableUpdating(e){}disconnectedCallback(){this._$EO?.forEach(e=>e.hostDisconnected?.())}attributeChangedCallback(e,t,n){this._$AK(e,n)}_$ET(e,t){let n=this.constructor.elementProperties.get(e),r=this.constructor._$Eu(e,n);if(r!==void 0&&!0===n.reflect){let i=(n.converter?.toAttribute===void 0?re:n.converter).toAttribute(t,n.type);this._$Em=e,i==null?this.removeAttribute(r):this.setAttribute(r,i),this._$Em=null}}_$AK(e,t){let n=this.constructor,r=n._$Eh.get(e);if(r!==void 0&&this._$Em!==r){let e=n.getPropertyOptions(r),i=typeof e.converter==`function`?{fromAttribute:e.converter}:e.converter?.fromAttribute===void 0?re:e.converter;this._$Em=r;let a=i.fromAttribute(t,e.type);this[r]=a??this._$Ej?.get(r)??a,this._$Em=null}}requestUpdate(e,t,n,r=!1,i){if(e!==void 0){let a=this.constructor;if(!1===r&&(i=this[e]),n??=a.getPropertyOptions(e),!((n.hasChanged??ie)(i,t)||n.useDefault&&n.reflect&&i===this._$Ej?.get(e)&&!this.hasAttribute(a._$Eu(e,n))))return;this.C(e,t,n)}!1===this.isUpdatePending&&(this._$ES=this._$EP())}C(e,t,{useDefault:n,reflect:r,wrapped:i},a){n&&!(this._$Ej??=new Map).has(e)&&(this._$Ej.set(e,a??t??this[e]),!0!==i||a!==void 0)||(this._$AL.has(e)||(this.hasUpdated||n||(t=void 0),this._$AL.set(e,t)),!0===r&&this._$Em!==e&&(this._$Eq??=new Set).add(e))}async _$EP(){this.isUpdatePending=!0;try{await this._$ES}catch(e){Promise.reject(e)}let e=this.scheduleUpdate();return e!=null&&await e,!this.isUpdatePending}scheduleUpdate(){return this.performUpdate()}performUpdate(){if(!this.isUpdatePending)return;if(!this.hasUpdated){if(this.renderRoot??=this.createRenderRoot(),this._$Ep){for(let[e,t]of this._$Ep)this[e]=t;this._$Ep=void 0}let e=this.constructor.elementProperties;if(e.size>0)for(let[t,n]of e){let{wrapped:e}=n,r=this[t];!0!==e||this._$AL.has(t)||r===void 0||this.C(t,void 0,n,r)}}let e=!1,t=this._$AL;try{e=this.shouldUpdate(t),e?(this.willUpdate(t),this._$EO?.forEach(e=>e.hostUpdate?.()),this.update(t)):this._$EM()}catch(t){throw e=!1,this._$EM(),t}e&&this._$AE(t)}willUpdate(e){}_$AE(e){this._$EO?.forEach(e=>e.hostUpdated?.()),this.hasUpdated||(this.hasUpdated=!0,this.firstUpdated(e)),this.updated(e)}_$EM(){this._$AL=new Map,this.isUpdatePending=!1}get updateComplete(){return this.getUpdateComplete()}getUpdateComplete(){return this._$ES}shouldUpdate(e){return!0}update(e){this._$Eq&&=this._$Eq.forEach(e=>this._$ET(e,this[e])),this._$EM()}updated(e){}firstUpdated(e){}};_.elementStyles=[],_.shadowRootOptions={mode:`open`},_[g(`elementProperties`)]=new Map,_[g(`finalized`)]=new Map,ne?.({ReactiveElement:_}),(h.reactiveElementVersions??=[]).push(`2.1.2`);var oe=globalThis,se=e=>e,v=oe.trustedTypes,ce=v?v.createPolicy(`lit-html`,{createHTML:e=>e}):void 0,le=`$lit$`,y=`lit$${Math.random().toFixed(9).slice(2)}$`,ue=`?`+y,de=`<${ue}>`,b=document,x=()=>b.createComment(``),S=e=>e===null||typeof e!=`object`&&typeof e!=`function`,fe=Array.isArray,pe=e=>fe(e)||typeof e?.[Symbol.iterator]==`function`,me=`[ 	
\f\r]`,C=/<(?:(!--|\/[^a-zA-Z])|(\/?[a-zA-Z][^>\s]*)|(\/?$))/g,he=/-->/g,ge=/>/g,w=RegExp(`>|${me}(?:([^\\s"'>=/]+)(${me}*=${me}*(?:[^ \t\n\f\r"'\`<>=]|("|')|))|$)`,`g`),_e=/'/g,ve=/"/g,ye=/^(?:script|style|textarea|title)$/i,T=(e=>(t,...n)=>({_$litType$:e,strings:t,values:n}))(1),E=Symbol.for(`lit-noChange`),D=Symbol.for(`lit-nothing`),be=new WeakMap,O=b.createTreeWalker(b,129);function xe(e,t){if(!fe(e)||!e.hasOwnProperty(`raw`))throw Error(`invalid template strings array`);return ce===void 0?t:ce.createHTML(t)}var Se=(e,t)=>{let n=e.length-1,r=[],i,a=t===2?`<svg>`:t===3?`<math>`:``,o=C;for(let t=0;t<n;t++){let n=e[t],s,c,l=-1,u=0;for(;u<n.length&&(o.lastIndex=u,c=o.exec(n),c!==null);)u=o.lastIndex,o===C?c[1]===`!--`?o=he:c[1]===void 0?c[2]===void 0?c[3]!==void 0&&(o=w):(ye.test(c[2])&&(i=RegExp(`</`+c[2],`g`)),o=w):o=ge:o===w?c[0]===`>`?(o=i??C,l=-1):c[1]===void 0?l=-2:(l=o.lastIndex-c[2].length,s=c[1],o=c[3]===void 0?w:c[3]===`"`?ve:_e):o===ve||o===_e?o=w:o===he||o===ge?o=C:(o=w,i=void 0);let d=o===w&&e[t+1].startsWith(`/>`)?` `:``;a+=o===C?n+de:l>=0?(r.push(s),n.slice(0,l)+le+n.slice(l)+y+d):n+y+(l===-2?t:d)}return[xe(e,a+(e[n]||`<?>`)+(t===2?`</svg>`:t===3?`</math>`:``)),r]},Ce=class e{constructor({strings:t,_$litType$:n},r){let i;this.parts=[];let a=0,o=0,s=t.length-1,c=this.parts,[l,u]=Se(t,n);if(this.el=e.createElement(l,r),O.currentNode=this.el.content,n===2||n===3){let e=this.el.content.firstChild;e.replaceWith(...e.childNodes)}for(;(i=O.nextNode())!==null&&c.length<s;){if(i.nodeType===1){if(i.hasAttributes())for(let e of i.getAttributeNames())if(e.endsWith(le)){let t=u[o++],n=i.getAttribute(e).split(y),r=/([.?@])?(.*)/.exec(t);c.push({type:1,index:a,name:r[2],strings:n,ctor:r[1]===`.`?Te:r[1]===`?`?Ee:r[1]===`@`?De:j}),i.removeAttribute(e)}else e.startsWith(y)&&(c.push({type:6,index:a}),i.removeAttribute(e));if(ye.test(i.tagName)){let e=i.textContent.split(y),t=e.length-1;if(t>0){i.textContent=v?v.emptyScript:``;for(let n=0;n<t;n++)i.append(e[n],x()),O.nextNode(),c.push({type:2,index:++a});i.append(e[t],x())}}}else if(i.nodeType===8){if(i.data===ue)c.push({type:2,index:a});else{let e=-1;for(;(e=i.data.indexOf(y,e+1))!==-1;)c.push({type:7,index:a}),e+=y.length-1}}a++}}static createElement(e,t){let n=b.createElement(`template`);return n.innerHTML=e,n}};function k(e,t,n=e,r){if(t===E)return t;let i=r===void 0?n._$Cl:n._$Co?.[r],a=S(t)?void 0:t._$litDirective$;return i?.constructor!==a&&(i?._$AO?.(!1),a===void 0?i=void 0:(i=new a(e),i._$AT(e,n,r)),r===void 0?n._$Cl=i:(n._$Co??=[])[r]=i),i!==void 0&&(t=k(e,i._$AS(e,t.values),i,r)),t}var we=class{constructor(e,t){this._$AV=[],this._$AN=void 0,this._$AD=e,this._$AM=t}get parentNode(){return this._$AM.parentNode}get _$AU(){return this._$AM._$AU}u(e){let{el:{content:t},parts:n}=this._$AD,r=(e?.creationScope??b).importNode(t,!0);O.currentNode=r;let i=O.nextNode(),a=0,o=0,s=n[0];for(;s!==void 0;){if(a===s.index){let t;s.type===2?t=new A(i,i.nextSibling,this,e):s.type===1?t=new s.ctor(i,s.name,s.strings,this,e):s.type===6&&(t=new Oe(i,this,e)),this._$AV.push(t),s=n[++o]}a!==s?.index&&(i=O.nextNode(),a++)}return O.currentNode=b,r}p(e){let t=0;for(let n of this._$AV)n!==void 0&&(n.strings===void 0?n._$AI(e[t]):(n._$AI(e,n,t),t+=n.strings.length-2)),t++}},A=class e{get _$AU(){return this._$AM?._$AU??this._$Cv}constructor(e,t,n,r){this.type=2,this._$AH=D,this._$AN=void 0,this._$AA=e,this._$AB=t,this._$AM=n,this.options=r,this._$Cv=r?.isConnected??!0}get parentNode(){let e=this._$AA.parentNode,t=this._$AM;return t!==void 0&&e?.nodeType===11&&(e=t.parentNode),e}get startNode(){return this._$AA}get endNode(){return this._$AB}_$AI(e,t=this){e=k(this,e,t),S(e)?e===D||e==null||e===``?(this._$AH!==D&&this._$AR(),this._$AH=D):e!==this._$AH&&e!==E&&this._(e):e._$litType$===void 0?e.nodeType===void 0?pe(e)?this.k(e):this._(e):this.T(e):this.$(e)}O(e){return this._$AA.parentNode.insertBefore(e,this._$AB)}T(e){this._$AH!==e&&(this._$AR(),this._$AH=this.O(e))}_(e){this._$AH!==D&&S(this._$AH)?this._$AA.nextSibling.data=e:this.T(b.createTextNode(e)),this._$AH=e}$(e){let{values:t,_$litType$:n}=e,r=typeof n==`number`?this._$AC(e):(n.el===void 0&&(n.el=Ce.createElement(xe(n.h,n.h[0]),this.options)),n);if(this._$AH?._$AD===r)this._$AH.p(t);else{let e=new we(r,this),n=e.u(this.options);e.p(t),this.T(n),this._$AH=e}}_$AC(e){let t=be.get(e.strings);return t===void 0&&be.set(e.strings,t=new Ce(e)),t}k(t){fe(this._$AH)||(this._$AH=[],this._$AR());let n=this._$AH,r,i=0;for(let a of t)i===n.length?n.push(r=new e(this.O(x()),this.O(x()),this,this.options)):r=n[i],r._$AI(a),i++;i<n.length&&(this._$AR(r&&r._$AB.nextSibling,i),n.length=i)}_$AR(e=this._$AA.nextSibling,t){for(this._$AP?.(!1,!0,t);e!==this._$AB;){let t=se(e).nextSibling;se(e).remove(),e=t}}setConnected(e){this._$AM===void 0&&(this._$Cv=e,this._$AP?.(e))}},j=class{get tagName(){return this.element.tagName}get _$AU(){return this._$AM._$AU}constructor(e,t,n,r,i){this.type=1,this._$AH=D,this._$AN=void 0,this.element=e,this.name=t,this._$AM=r,this.options=i,n.length>2||n[0]!==``||n[1]!==``?(this._$AH=Array(n.length-1).fill(new String),this.strings=n):this._$AH=D}_$AI(e,t=this,n,r){let i=this.strings,a=!1;if(i===void 0)e=k(this,e,t,0),a=!S(e)||e!==this._$AH&&e!==E,a&&(this._$AH=e);else{let r=e,o,s;for(e=i[0],o=0;o<i.length-1;o++)s=k(this,r[n+o],t,o),s===E&&(s=this._$AH[o]),a||=!S(s)||s!==this._$AH[o],s===D?e=D:e!==D&&(e+=(s??``)+i[o+1]),this._$AH[o]=s}a&&!r&&this.j(e)}j(e){e===D?this.element.removeAttribute(this.name):this.element.setAttribute(this.name,e??``)}},Te=class extends j{constructor(){super(...arguments),this.type=3}j(e){this.element[this.name]=e===D?void 0:e}},Ee=class extends j{constructor(){super(...arguments),this.type=4}j(e){this.element.toggleAttribute(this.name,!!e&&e!==D)}},De=class extends j{constructor(e,t,n,r,i){super(e,t,n,r,i),this.type=5}_$AI(e,t=this){if((e=k(this,e,t,0)??D)===E)return;let n=this._$AH,r=e===D&&n!==D||e.capture!==n.capture||e.once!==n.once||e.passive!==n.passive,i=e!==D&&(n===D||r);r&&this.element.removeEventListener(this.name,this,n),i&&this.element.addEventListener(this.name,this,e),this._$AH=e}handleEvent(e){typeof this._$AH==`function`?this._$AH.call(this.options?.host??this.element,e):this._$AH.handleEvent(e)}},Oe=class{constructor(e,t,n){this.element=e,this.type=6,this._$AN=void 0,this._$AM=t,this.options=n}get _$AU(){return this._$AM._$AU}_$AI(e){k(this,e)}},ke={M:le,P:y,A:ue,C:1,L:Se,R:we,D:pe,V:k,I:A,H:j,N:Ee,U:De,B:Te,F:Oe},Ae=oe.litHtmlPolyfillSupport;Ae?.(Ce,A),(oe.litHtmlVersions??=[]).push(`3.3.3`);var je=(e,t,n)=>{let r=n?.renderBefore??t,i=r._$litPart$;if(i===void 0){let e=n?.renderBefore??null;r._$litPart$=i=new A(t.insertBefore(x(),e),e,void 0,n??{})}return i._$AI(e),i},Me=globalThis,M=class extends _{constructor(){super(...arguments),this.renderOptions={host:this},this._$Do=void 0}createRenderRoot(){let e=super.createRenderRoot();return this.renderOptions.renderBefore??=e.firstChild,e}update(e){let t=this.render();this.hasUpdated||(this.renderOptions.isConnected=this.isConnected),super.update(e),this._$Do=je(t,this.renderRoot,this.renderOptions)}connectedCallback(){super.connectedCallback(),this._$Do?.setConnected(!0)}disconnectedCallback(){super.disconnectedCallback(),this._$Do?.setConnected(!1)}render(){return E}};M._$litElement$=!0,M.finalized=!0,Me.litElementHydrateSupport?.({LitElement:M});var Ne=Me.litElementPolyfillSupport;Ne?.({LitElement:M}),(Me.litElementVersions??=[]).push(`4.2.2`);var Pe=`forge-code-editor`;function Fe(e,t){e.dispatchEvent(new CustomEvent(`value-changed`,{detail:{value:t},bubbles:!0,composed:!0}))}var Ie=class extends M{static properties={value:{attribute:!1},markers:{attribute:!1}};constructor(){super(),this.value=``,this.markers=[]}static styles=o`
    textarea {
      box-sizing: border-box;
      width: 100%;
      min-height: 360px;
      font-family: var(--code-font-family, ui-monospace, Menlo, Consolas, monospace);
      font-size: 13px;
      tab-size: 2;
      color: inherit;
      background: transparent;
      border: 0;
      padding: 8px;
      resize: vertical;
    }
  `;revealLine(e){let t=this.renderRoot.querySelector(`textarea`);if(!t)return;let n=this.value.split(`
`),r=n.slice(0,Math.max(0,e-1)).reduce((e,t)=>e+t.length+1,0);t.focus(),t.setSelectionRange(r,r+(n[e-1]?.length??0))}render(){return T`<textarea spellcheck="false" aria-label="YAML" .value=${this.value}
      @input=${e=>{this.value=e.target.value,Fe(this,this.value)}}></textarea>`}};function Le(){customElements.get(`forge-code-editor`)||customElements.define(Pe,Ie)}var Re=null;function ze(){return customElements.get(`ha-code-editor`)?Promise.resolve(!0):(Re??=(async()=>{try{await((await window.loadCardHelpers?.())?.createCardElement({type:`markdown`,content:``})?.constructor)?.getConfigElement?.()}catch{}return await Promise.race([customElements.whenDefined(`ha-code-editor`),new Promise(e=>setTimeout(e,5e3))]),customElements.get(`ha-code-editor`)!==void 0})(),Re)}var Be=class extends M{static properties={value:{attribute:!1},markers:{attribute:!1},ready:{state:!0}};constructor(){super(),this.value=``,this.markers=[],this.ready=null}static styles=o`
    :host {
      display: block;
    }
    ha-code-editor {
      --code-mirror-height: auto;
      min-height: 360px;
    }
  `;connectedCallback(){super.connectedCallback(),this.ready===null&&ze().then(e=>this.ready=e)}revealLine(e){let t=this.renderRoot.querySelector(`ha-code-editor, forge-textarea-editor`);if(t&&`revealLine`in t&&typeof t.revealLine==`function`)return t.revealLine(e);let n=t?.codemirror;if(!n)return;let r=n.state.doc.line(Math.min(Math.max(1,e),n.state.doc.lines));n.dispatch({selection:{anchor:r.from,head:r.to},scrollIntoView:!0}),n.focus()}render(){return this.ready===null?T`<p class="muted">Loading the editor…</p>`:this.ready?T`<ha-code-editor mode="yaml" .value=${this.value} autofocus
      @value-changed=${e=>this.changed(e)}></ha-code-editor>`:T`<forge-textarea-editor .value=${this.value} .markers=${this.markers}
        @value-changed=${e=>this.changed(e)}></forge-textarea-editor>`}changed(e){e.stopPropagation(),this.value=e.detail.value,Fe(this,this.value)}};customElements.get(`forge-textarea-editor`)||customElements.define(`forge-textarea-editor`,class extends Ie{}),customElements.get(`forge-code-editor`)||customElements.define(Pe,Be);function Ve(e,t){let n=e.charCodeAt(t);return n<128?1:n<2048?2:n>=55296&&n<=56319&&t+1<e.length&&(e.charCodeAt(t+1)&64512)==56320?4:3}function He(e){let t=0;for(let n=0;n<e.length;){let r=Ve(e,n);t+=r,n+=r===4?2:1}return t}function Ue(e,t){let n=0,r=0;for(;r<e.length&&n<t;){let t=Ve(e,r);n+=t,r+=t===4?2:1}return e.slice(r)}var We=class{jobId;next;started=!1;ended=!1;constructor(e,t){this.jobId=e,this.next=t}accept(e){if(e.jobId!==this.jobId)return[];if(e.type===`log_end`)return this.ended?[]:(this.ended=!0,[{kind:`end`,state:e.state}]);let t=[],n=He(e.chunk),r=e.offset+n,i=!this.started;if(this.started=!0,r<=this.next&&n>0)return t;let a=e.chunk;return e.offset>this.next?t.push(e.truncatedBefore?{kind:`truncated`}:{kind:`gap`,bytes:e.offset-this.next}):e.offset<this.next?a=Ue(a,this.next-e.offset):i&&e.truncatedBefore&&e.offset>0&&t.push({kind:`truncated`}),a&&t.push({kind:`text`,text:a}),this.next=Math.max(this.next,r),t}},Ge=new Set([`succeeded`,`failed`,`cancelled`,`timed_out`]),Ke=e=>!Ge.has(e.state);function qe(e=`connecting`){return{status:e,error:null,loaded:!1,seq:-1,devices:new Map,jobs:new Map,workers:new Map,workspace:null}}function Je(e,t,n=null){return e.status===t&&e.error===n?e:{...e,status:t,error:n}}function Ye(e,t,n,r){if(r===`remove`||n==null){if(!e.has(t))return e;let n=new Map(e);return n.delete(t),n}let i=new Map(e);return i.set(t,n),i}function Xe(e,t=200){let n=0;for(let t of e.values())Ke(t)||n++;if(n<=t)return e;let r=[...e.values()].filter(e=>!Ke(e)).sort((e,t)=>(e.finishedAt??e.updatedAt).localeCompare(t.finishedAt??t.updatedAt)||e.id-t.id).slice(0,n-t),i=new Map(e);for(let e of r)i.delete(e.id);return i}function Ze(e,t){if(t.type===`snapshot`)return{status:`live`,error:null,loaded:!0,seq:t.seq,devices:new Map(t.devices.map(e=>[e.id,e])),jobs:Xe(new Map(t.jobs.map(e=>[e.id,e]))),workers:new Map(t.workers.map(e=>[e.id,e])),workspace:t.workspace??null};if(!e.loaded||t.seq<=e.seq)return e;let n=t.seq;switch(t.type){case`device`:return{...e,seq:n,devices:Ye(e.devices,t.id,t.device,t.op)};case`job`:return{...e,seq:n,jobs:Xe(Ye(e.jobs,t.id,t.job,t.op))};case`worker`:return{...e,seq:n,workers:Ye(e.workers,t.id,t.worker,t.op)};case`workspace`:return{...e,seq:n,workspace:t.status}}}var Qe=class{lifecycle;current=qe();listeners=new Set;constructor(e){this.lifecycle=e}get state(){return this.current}get listenerCount(){return this.listeners.size}subscribe(e){return this.listeners.add(e),this.listeners.size===1&&this.lifecycle.start(),e(this.current),()=>{this.listeners.delete(e)&&this.listeners.size===0&&(this.lifecycle.stop(),this.current=qe())}}apply(e){this.set(Ze(this.current,e))}status(e,t=null){this.set(Je(this.current,e,t))}set(e){if(e!==this.current){this.current=e;for(let t of[...this.listeners])t(e)}}},N=class extends Error{code;status;details;constructor(e,t=`error`,n=null,r=null){super(e),this.code=t,this.status=n,this.details=r,this.name=`ForgeError`}};function P(e){if(e instanceof N)return e;if(e instanceof Error)return new N(e.message);if(e&&typeof e==`object`){let t=e,n=t.error&&typeof t.error==`object`?t.error:t;return new N(typeof n.message==`string`&&n.message?n.message:JSON.stringify(e),typeof n.code==`string`?n.code:typeof n.code==`number`?String(n.code):`error`)}return new N(String(e))}var $e=class{load;delayMs;listeners=new Set;current={status:null,error:null};timer=null;inFlight=!1;again=!1;constructor(e,t=400){this.load=e,this.delayMs=t}get update(){return this.current}subscribe(e){return this.listeners.add(e),e(this.current),this.listeners.size===1&&this.refresh(0),()=>{this.listeners.delete(e),this.listeners.size===0&&this.timer&&(clearTimeout(this.timer),this.timer=null)}}refresh(e=this.delayMs){this.listeners.size===0||this.timer||(this.timer=setTimeout(()=>{this.timer=null,this.fetch()},e))}async fetch(){if(this.inFlight)this.again=!0;else{this.inFlight=!0;try{this.set({status:await this.load(),error:null})}catch(e){this.set({status:this.current.status,error:P(e).message})}finally{this.inFlight=!1,this.again&&(this.again=!1,this.refresh())}}}set(e){this.current=e;for(let t of[...this.listeners])t(e)}};function et(e,t){return tt(e)!==tt(t)}var tt=e=>e?JSON.stringify([e.trust,e.trustPolicy??null]):``,F={read:`esphome_forge/config_read`,save:`esphome_forge/config_save`,history:`esphome_forge/config_history`,diff:`esphome_forge/config_diff`,restore:`esphome_forge/config_restore`,templates:`esphome_forge/config_templates`,create:`esphome_forge/device_create`};function nt(e){let t=(e,t)=>t===void 0?{}:{[e]:t};return{read:(n,r)=>e(F.read,{device_id:n,...t(`path`,r)}),async save(n,r,i,a){let o=await e(F.save,{device_id:n,content:r,sha256:i,...t(`path`,a)});if(o.conflict)throw new N(o.message??`the file changed since you loaded it`,`conflict`,409,o.conflict);return o.saved},history:(t,n,r)=>e(F.history,{device_id:t,offset:n,limit:r}),diff:(n,r,i)=>e(F.diff,{device_id:n,from:r,...t(`to`,i)}),restore:(t,n)=>e(F.restore,{device_id:t,commit:n}),templates:()=>e(F.templates,{}),create:n=>e(F.create,{name:n.name,template:n.template,...t(`friendly_name`,n.friendlyName),...t(`board`,n.board)})}}var I={subscribe:`esphome_forge/subscribe`,jobLog:`esphome_forge/job_log`,compile:`esphome_forge/compile`,upload:`esphome_forge/upload`,cancel:`esphome_forge/cancel`,trustStatus:`esphome_forge/trust_status`};function rt(e){let t=P(e);return t.code===`unknown_command`?new N(`The Forge for ESPHome integration is not loaded in Home Assistant (add it under Settings → Devices & services).`,t.code):t.code===`unauthorized`?new N(`Only Home Assistant administrators can do this (${t.message}).`,t.code):t}var it=class{connection;entryId;kind=`ha`;hub=new Qe({start:()=>this.start(),stop:()=>this.stop()});unsubscribe=null;onDisconnected=()=>this.hub.status(`reconnecting`,`Home Assistant connection lost; reconnecting…`);onReady=()=>this.hub.status(`connecting`);trustStatus;constructor(e,t=null,n=!0){this.connection=e,this.entryId=t,this.trustStatus=n?new $e(()=>this.call(I.trustStatus,{})):void 0}get state(){return this.hub.state}subscribe(e){return this.hub.subscribe(e)}subscribeLog(e,t,n){let r=new We(e,t),i=!1,a=this.connection.subscribeMessage(e=>{if(!i)for(let t of r.accept(e))n(t)},this.message(I.jobLog,{job_id:e,offset:t}),{resubscribe:!0}).catch(e=>(i||n({kind:`error`,message:rt(e).message}),null));return()=>{i=!0,a.then(e=>e?.().catch(()=>void 0))}}workspace=nt((e,t)=>this.call(e,t));compile(e,t){return this.call(I.compile,{device_ids:e,upload:t.upload})}upload(e){return this.call(I.upload,{device_ids:e})}cancel(e){return this.call(I.cancel,{job_id:e})}async call(e,t){try{return await this.connection.sendMessagePromise(this.message(e,t))}catch(e){throw rt(e)}}message(e,t={}){return this.entryId?{type:e,...t,entry_id:this.entryId}:{type:e,...t}}start(){this.connection.addEventListener?.(`disconnected`,this.onDisconnected),this.connection.addEventListener?.(`ready`,this.onReady),this.unsubscribe=this.connection.subscribeMessage(e=>this.onEvent(e),this.message(I.subscribe),{resubscribe:!0}).catch(e=>(this.hub.status(`error`,rt(e).message),null))}onEvent(e){(e.type===`snapshot`||e.type===`device`&&et(this.hub.state.devices.get(e.id),e.device))&&this.trustStatus?.refresh(),this.hub.apply(e)}stop(){this.connection.removeEventListener?.(`disconnected`,this.onDisconnected),this.connection.removeEventListener?.(`ready`,this.onReady);let e=this.unsubscribe;this.unsubscribe=null,e?.then(e=>e?.().catch(()=>void 0))}},at=`forge-action`;function L(e,t){e.dispatchEvent(new CustomEvent(at,{detail:t,bubbles:!0,composed:!0}))}var R=o`
  :host {
    color: var(--primary-text-color, #212121);
    font-family: var(--ha-font-family-body, var(--mdc-typography-font-family, Roboto, "Noto Sans", system-ui, sans-serif));
    font-size: var(--ha-font-size-m, 14px);
    line-height: 1.4;
    --forge-ok: var(--success-color, #2e7d32);
    --forge-warn: var(--warning-color, #b26a00);
    --forge-bad: var(--error-color, #c62828);
    --forge-info: var(--info-color, #0277bd);
    --forge-muted: var(--secondary-text-color, #5f6368);
    --forge-divider: var(--divider-color, rgba(0, 0, 0, 0.12));
    --forge-accent: var(--primary-color, #03a9f4);
    --forge-surface: var(--card-background-color, var(--ha-card-background, #fff));
    --forge-surface-2: var(--secondary-background-color, #f5f5f5);
  }
  [hidden] {
    display: none !important;
  }
  .muted {
    color: var(--forge-muted);
  }
  .mono {
    font-family: var(--code-font-family, ui-monospace, "SFMono-Regular", Menlo, Consolas, monospace);
    font-size: 0.92em;
  }
  button.btn {
    font: inherit;
    font-size: 0.86em;
    font-weight: 500;
    color: var(--forge-accent);
    background: transparent;
    border: 1px solid color-mix(in srgb, var(--forge-accent) 45%, transparent);
    border-radius: 6px;
    padding: 3px 9px;
    min-height: 28px;
    cursor: pointer;
    white-space: nowrap;
  }
  button.btn:hover:not(:disabled) {
    background: color-mix(in srgb, var(--forge-accent) 12%, transparent);
  }
  button.btn:disabled {
    color: var(--disabled-text-color, #9e9e9e);
    border-color: var(--forge-divider);
    cursor: default;
  }
  button.btn.primary {
    background: var(--forge-accent);
    color: var(--text-primary-color, #fff);
    border-color: var(--forge-accent);
  }
  button.btn.danger {
    color: var(--forge-bad);
    border-color: color-mix(in srgb, var(--forge-bad) 45%, transparent);
  }
  button:focus-visible,
  input:focus-visible,
  select:focus-visible,
  [tabindex]:focus-visible {
    outline: 2px solid var(--forge-accent);
    outline-offset: 2px;
  }
  .chip {
    display: inline-flex;
    align-items: center;
    gap: 4px;
    border-radius: 999px;
    padding: 0 8px;
    font-size: 0.8em;
    font-weight: 500;
    line-height: 1.7;
    white-space: nowrap;
    color: var(--tone, var(--forge-muted));
    background: color-mix(in srgb, var(--tone, var(--forge-muted)) 14%, transparent);
  }
  .tone-ok {
    --tone: var(--forge-ok);
  }
  .tone-warn {
    --tone: var(--forge-warn);
  }
  .tone-bad {
    --tone: var(--forge-bad);
  }
  .tone-info {
    --tone: var(--forge-info);
  }
  .tone-neutral {
    --tone: var(--forge-muted);
  }
  .error-text {
    color: var(--forge-bad);
  }
  input[type="search"],
  input[type="text"],
  input[type="password"],
  select {
    font: inherit;
    color: inherit;
    background: var(--forge-surface);
    border: 1px solid var(--forge-divider);
    border-radius: 6px;
    padding: 5px 8px;
    min-height: 32px;
    box-sizing: border-box;
  }
  .progress {
    height: 4px;
    border-radius: 2px;
    background: color-mix(in srgb, var(--forge-accent) 18%, transparent);
    overflow: hidden;
  }
  .progress > div {
    height: 100%;
    background: var(--forge-accent);
    transition: width 0.3s ease;
  }
  .progress.indeterminate > div {
    width: 30%;
    animation: slide 1.4s ease-in-out infinite;
  }
  @keyframes slide {
    from {
      transform: translateX(-100%);
    }
    to {
      transform: translateX(340%);
    }
  }
  @media (prefers-reduced-motion: reduce) {
    .progress.indeterminate > div {
      animation: none;
      width: 100%;
      opacity: 0.5;
    }
  }
`;function z(e){switch(e){case`succeeded`:return`tone-ok`;case`failed`:case`timed_out`:return`tone-bad`;case`cancelled`:return`tone-warn`;case`running`:case`queued`:case`blocked`:return`tone-info`;default:return`tone-neutral`}}var B={validate:`validate`,compile:`compile`,compile_upload:`compile & upload`,upload:`upload`},V=[`devices`,`queue`,`workers`],ot={devices:`Devices`,queue:`Queue`,workers:`Workers`},st=class extends M{static properties={heading:{state:!0},message:{state:!0},confirmLabel:{state:!0}};resolve=null;constructor(){super(),this.heading=``,this.message=``,this.confirmLabel=`OK`}static styles=[R,o`
      dialog {
        border: 0;
        border-radius: 12px;
        padding: 20px;
        max-width: min(440px, 90vw);
        background: var(--forge-surface);
        color: var(--primary-text-color, #212121);
        box-shadow: 0 10px 40px rgba(0, 0, 0, 0.3);
      }
      dialog::backdrop {
        background: rgba(0, 0, 0, 0.4);
      }
      h2 {
        margin: 0 0 8px;
        font-size: 1.15em;
      }
      .buttons {
        display: flex;
        justify-content: flex-end;
        gap: 8px;
        margin-top: 16px;
      }
    `];async ask(e,t,n=`OK`){this.resolve?.(!1),this.heading=e,this.message=t,this.confirmLabel=n,await this.updateComplete;let r=this.renderRoot.querySelector(`dialog`);return r.open||r.showModal(),this.renderRoot.querySelector(`button.cancel`)?.focus(),new Promise(e=>this.resolve=e)}finish(e){let t=this.renderRoot.querySelector(`dialog`);t?.open&&t.close();let n=this.resolve;this.resolve=null,n?.(e)}render(){return T`<dialog role="alertdialog" aria-labelledby="h" aria-describedby="m" @cancel=${()=>this.finish(!1)}>
      <h2 id="h">${this.heading}</h2>
      <div id="m">${this.message}</div>
      <div class="buttons">
        <button class="btn cancel" @click=${()=>this.finish(!1)}>Cancel</button>
        <button class="btn primary confirm" @click=${()=>this.finish(!0)}>${this.confirmLabel}</button>
      </div>
    </dialog>`}};customElements.get(`forge-confirm-dialog`)||customElements.define(`forge-confirm-dialog`,st);var ct={ATTRIBUTE:1,CHILD:2,PROPERTY:3,BOOLEAN_ATTRIBUTE:4,EVENT:5,ELEMENT:6},lt=e=>(...t)=>({_$litDirective$:e,values:t}),ut=class{constructor(e){}get _$AU(){return this._$AM._$AU}_$AT(e,t,n){this._$Ct=e,this._$AM=t,this._$Ci=n}_$AS(e,t){return this.update(e,t)}update(e,t){return this.render(...t)}},{I:dt}=ke,ft=e=>e,pt=()=>document.createComment(``),H=(e,t,n)=>{let r=e._$AA.parentNode,i=t===void 0?e._$AB:t._$AA;if(n===void 0)n=new dt(r.insertBefore(pt(),i),r.insertBefore(pt(),i),e,e.options);else{let t=n._$AB.nextSibling,a=n._$AM,o=a!==e;if(o){let t;n._$AQ?.(e),n._$AM=e,n._$AP!==void 0&&(t=e._$AU)!==a._$AU&&n._$AP(t)}if(t!==i||o){let e=n._$AA;for(;e!==t;){let t=ft(e).nextSibling;ft(r).insertBefore(e,i),e=t}}}return n},U=(e,t,n=e)=>(e._$AI(t,n),e),mt={},ht=(e,t=mt)=>e._$AH=t,gt=e=>e._$AH,_t=e=>{e._$AR(),e._$AA.remove()},vt=(e,t,n)=>{let r=new Map;for(let i=t;i<=n;i++)r.set(e[i],i);return r},yt=lt(class extends ut{constructor(e){if(super(e),e.type!==ct.CHILD)throw Error(`repeat() can only be used in text expressions`)}dt(e,t,n){let r;n===void 0?n=t:t!==void 0&&(r=t);let i=[],a=[],o=0;for(let t of e)i[o]=r?r(t,o):o,a[o]=n(t,o),o++;return{values:a,keys:i}}render(e,t,n){return this.dt(e,t,n).values}update(e,[t,n,r]){let i=gt(e),{values:a,keys:o}=this.dt(t,n,r);if(!Array.isArray(i))return this.ut=o,a;let s=this.ut??=[],c=[],l,u,d=0,f=i.length-1,p=0,m=a.length-1;for(;d<=f&&p<=m;)if(i[d]===null)d++;else if(i[f]===null)f--;else if(s[d]===o[p])c[p]=U(i[d],a[p]),d++,p++;else if(s[f]===o[m])c[m]=U(i[f],a[m]),f--,m--;else if(s[d]===o[m])c[m]=U(i[d],a[m]),H(e,c[m+1],i[d]),d++,m--;else if(s[f]===o[p])c[p]=U(i[f],a[p]),H(e,i[d],i[f]),f--,p++;else if(l===void 0&&(l=vt(o,p,m),u=vt(s,d,f)),l.has(s[d])){if(l.has(s[f])){let t=u.get(o[p]),n=t===void 0?null:i[t];if(n===null){let t=H(e,i[d]);U(t,a[p]),c[p]=t}else c[p]=U(n,a[p]),H(e,i[d],n),i[t]=null;p++}else _t(i[f]),f--}else _t(i[d]),d++;for(;p<=m;){let t=H(e,c[m+1]);U(t,a[p]),c[p++]=t}for(;d<=f;){let e=i[d++];e!==null&&_t(e)}return this.ut=o,ht(e,c),E}}),W=[`online`,`version`,`status`,`trust`,`last_build`],bt={online:`Online`,version:`Firmware`,status:`Build status`,trust:`Trust`,last_build:`Last build`},xt={online:`minmax(56px, 0.5fr)`,version:`minmax(100px, 1fr)`,status:`minmax(120px, 1.3fr)`,trust:`minmax(80px, 0.7fr)`,last_build:`minmax(84px, 0.8fr)`};function St(e,t=!0){return[`28px`,`minmax(130px, 1.6fr)`,...e.map(e=>xt[e]),...t?[`312px`]:[]].join(` `)}var G=e=>e>=48&&e<=57;function Ct(e,t){let n=e.toLowerCase(),r=t.toLowerCase(),i=0,a=0;for(;i<n.length&&a<r.length;){let e=n.charCodeAt(i),t=r.charCodeAt(a);if(G(e)&&G(t)){let e=i,t=a;for(;e<n.length&&G(n.charCodeAt(e));)e++;for(;t<r.length&&G(r.charCodeAt(t));)t++;let o=n.slice(i,e).replace(/^0+(?=\d)/,``),s=r.slice(a,t).replace(/^0+(?=\d)/,``);if(o.length!==s.length)return o.length-s.length;if(o!==s)return o<s?-1:1;i=e,a=t}else{if(e!==t)return e-t;i++,a++}}return n.length-i-(r.length-a)}var wt={verified:`ok`,unknown:`neutral`,unsigned:`warn`,stale:`warn`,unknown_signer:`warn`,invalid:`bad`,revoked:`bad`},Tt=e=>wt[e]??`neutral`,K={verified:`verified`,unknown:`unknown`,unsigned:`unsigned`,stale:`stale`,unknown_signer:`unknown signer`,invalid:`invalid`,revoked:`revoked`},Et=new Set([`unsigned`,`stale`,`unknown_signer`,`invalid`,`revoked`]),Dt=e=>Et.has(e.trust.running.state)||Et.has(e.trust.pending.state);function q(e,t){let n=t.signer?`, signer ${t.signer}`:``,r=t.buildSequence==null?``:`, build #${t.buildSequence}`;return`${e}: ${K[t.state]??t.state}${n}${r} — ${t.reason||`no reason given`}`}var Ot={allowed:`allowed`,warned:`flashed with a warning`,blocked:`blocked`},kt={approval:`at the build's approval`,gate:`at the upload gate`};function At(e){let t=K[e.state]??e.state;return e.outcome===`blocked`?{tone:`bad`,label:`blocked · ${t}`}:{tone:Tt(e.state),label:e.outcome===`warned`?`${t} · warned`:t}}function jt(e){return`${q(`Content trust`,e)}. Policy ${e.policy}: ${Ot[e.outcome]??e.outcome} ${kt[e.stage]??e.stage}.`}var Mt=e=>e?.outcome===`blocked`?`blocked by content trust: ${e.reason||K[e.state]||e.state}`:null,Nt={enforce:`This device's own trust policy: enforce — only verified firmware is flashed`,warn:`This device's own trust policy: warn — firmware that is not verified is flashed anyway, with a warning in the job log`,off:`This device's own trust policy: off — firmware is flashed without any trust check`},Pt=(e,t)=>(e.finishedAt??e.updatedAt)>(t.finishedAt??t.updatedAt)||(e.finishedAt??e.updatedAt)===(t.finishedAt??t.updatedAt)&&e.id>t.id;function Ft(e){let t=new Map;for(let n of e.values()){let e=t.get(n.deviceId);if(e||t.set(n.deviceId,e={active:null,last:null}),Ke(n)){let t=e.active;(!t||n.state===`running`&&t.state!==`running`||n.state===t.state&&n.id>t.id)&&(e.active=n)}else(!e.last||Pt(n,e.last))&&(e.last=n)}return t}function It(e,t){if(e.error)return`error`;if(t?.active)return t.active.state===`running`?`running`:`queued`;let n=t?.last?.state??e.lastBuild?.state;return n===`failed`||n===`timed_out`?`failed`:e.outdated?e.lastBuild?`outdated`:`never`:`ok`}var Lt={error:0,running:1,queued:2,failed:3,outdated:4,never:5,ok:6},Rt=[`all`,`outdated`,`failed`,`untrusted`,`building`],zt={text:``,tags:[],state:`all`,sort:`name`,descending:!1},Bt=e=>e.friendlyName||e.name||e.id,Vt=e=>e.targetVersion??e.pinnedVersion??null;function Ht(e){return e.storedFirmware===void 0?e.lastBuild?.firmwareSha256??null:e.storedFirmware?.firmwareSha256??null}function Ut(e,t){return t?.runningVersion?t.runningVersion:e.lastFlash?.esphomeVersion??null}function Wt(e,t){if(e.outdated)return!0;let n=Vt(e),r=Ut(e,t);return!!(r&&n&&r!==n)}function Gt(e,t){if(!t)return!0;let n=[e.id,e.name,e.friendlyName,e.platform,e.board,e.address,...e.tags].filter(Boolean).join(` `).toLowerCase();return t.toLowerCase().split(/\s+/).filter(Boolean).every(e=>n.includes(e))}function Kt(e,t,n,r){if(!Gt(e,n.text.trim())||n.tags.length&&!n.tags.every(t=>e.tags.includes(t)))return!1;switch(n.state){case`all`:return!0;case`outdated`:return Wt(e,r);case`failed`:return It(e,t)===`failed`||It(e,t)===`error`;case`untrusted`:return Dt(e);case`building`:return!!t?.active}}function qt(e,t){return t.length===0||t.some(t=>e.tags.includes(t))}function Jt(e){return{jobs:e.sort===`status`||e.state===`failed`||e.state===`building`,presence:e.state===`outdated`}}function Yt(e,t,n){let r=t.descending?-1:1,i=(e,t)=>Ct(Bt(e),Bt(t))||(e.id<t.id?-1:+(e.id>t.id)),a;if(t.sort===`status`)a=(e,t)=>(Lt[It(e,n.get(e.id))]-Lt[It(t,n.get(t.id))])*r||i(e,t);else if(t.sort===`last_build`){let e=e=>e.lastBuild?.finishedAt??``;a=(t,n)=>(e(t)<e(n)?-1:+(e(t)>e(n)))*r||i(t,n)}else a=(e,t)=>i(e,t)*r;return e.sort(a)}function Xt(e){let t=new Set;for(let n of e)for(let e of n.tags)t.add(e);return[...t].sort()}var Zt=o`
  forge-device-row {
    display: grid;
    grid-template-columns: var(--forge-grid, 28px 1fr auto);
    align-items: center;
    column-gap: 10px;
    padding: var(--forge-row-pad, 8px 12px);
    border-top: 1px solid var(--forge-divider);
    /* Off-screen rows skip style, layout and paint. */
    content-visibility: auto;
    contain-intrinsic-size: auto 64px;
  }
  forge-device-row[selected] {
    background: color-mix(in srgb, var(--forge-accent) 8%, transparent);
  }
  .row [role="cell"] {
    min-width: 0;
  }
  .row .name b {
    display: block;
    overflow: hidden;
    text-overflow: ellipsis;
    white-space: nowrap;
  }
  .row .sub {
    font-size: 0.85em;
    color: var(--forge-muted);
    overflow: hidden;
    text-overflow: ellipsis;
    white-space: nowrap;
  }
  .row .sub.error-text {
    white-space: normal;
    display: -webkit-box;
    -webkit-line-clamp: 2;
    -webkit-box-orient: vertical;
  }
  .row .tags .chip {
    margin-right: 3px;
  }
  .row .online::before {
    content: "";
    display: inline-block;
    width: 8px;
    height: 8px;
    border-radius: 50%;
    margin-right: 6px;
    background: var(--tone);
  }
  .row .outdated {
    color: var(--forge-warn);
    font-weight: 600;
    white-space: normal;
  }
  .row .status .progress {
    margin-top: 4px;
  }
  .row .trust button.chip {
    border: 0;
    cursor: pointer;
    font-family: inherit;
  }
  .row .trust .policy {
    margin-left: 4px;
    text-transform: uppercase;
    font-size: 0.7em;
    letter-spacing: 0.03em;
  }
  .row .trust .dot {
    width: 7px;
    height: 7px;
    border-radius: 50%;
    background: var(--tone);
  }
  .row .actions {
    display: flex;
    flex-wrap: wrap;
    gap: 4px;
    justify-content: flex-end;
  }
  .row .why {
    grid-column: 2 / -1;
    margin-top: 6px;
    font-size: 0.85em;
    color: var(--forge-muted);
  }
  .row .why p {
    margin: 0 0 2px;
  }
  .row .alert {
    grid-column: 1 / -1;
    margin-top: 6px;
    padding: 6px 10px;
    border-radius: 6px;
    color: var(--forge-bad);
    background: color-mix(in srgb, var(--forge-bad) 10%, transparent);
    display: flex;
    justify-content: space-between;
    gap: 8px;
    font-size: 0.9em;
  }
  .row .alert button {
    border: 0;
    background: none;
    color: inherit;
    cursor: pointer;
    font: inherit;
  }
  @container forge-devices (max-width: 1100px) {
    forge-device-row {
      grid-template-columns: var(--forge-grid-medium, 28px 1fr auto);
      row-gap: 6px;
    }
    .row .actions {
      grid-column: 2 / -1;
      justify-content: flex-start;
    }
  }
  @container forge-devices (max-width: 700px) {
    forge-device-row {
      grid-template-columns: 28px 1fr 1fr;
      row-gap: 6px;
    }
    .row .name {
      grid-column: 2 / 3;
    }
    .row .online {
      grid-column: 3;
      grid-row: 1;
      justify-self: end;
    }
    .row .version,
    .row .trust {
      grid-column: 2;
    }
    .row .status,
    .row .last {
      grid-column: 3;
    }
    .row .actions {
      grid-column: 2 / -1;
      justify-content: flex-start;
    }
  }
`;function Qt(e){if(e==null||!Number.isFinite(e)||e<0)return`—`;if(e<1e3)return`${Math.round(e)} ms`;let t=Math.floor(e/1e3);if(t<60)return e<1e4?`${(e/1e3).toFixed(1)} s`:`${t} s`;let n=Math.floor(t/3600),r=Math.floor(t%3600/60),i=t%60;return n>0?`${n} h ${String(r).padStart(2,`0`)} min`:`${r} min ${String(i).padStart(2,`0`)} s`}function $t(e,t=Date.now()){if(!e)return`—`;let n=Date.parse(e);if(Number.isNaN(n))return`—`;let r=Math.floor(Math.max(0,t-n)/1e3)*1e3;return r<6e4?`${r/1e3} s`:Qt(r)}function en(e,t=Date.now()){if(!e)return`never`;let n=Date.parse(e);if(Number.isNaN(n))return`—`;let r=Math.round((t-n)/1e3);if(r<-5)return`in the future`;if(r<10)return`just now`;if(r<60)return`${r} s ago`;let i=Math.floor(r/60);if(i<60)return`${i} min ago`;let a=Math.floor(i/60);if(a<24)return`${a} h ago`;let o=Math.floor(a/24);return o<7?`${o} d ago`:new Date(n).toISOString().slice(0,10)}var J=e=>String(e).padStart(2,`0`);function Y(e){if(!e)return``;let t=Date.parse(e);if(Number.isNaN(t))return e;let n=new Date(t);return`${n.getFullYear()}-${J(n.getMonth()+1)}-${J(n.getDate())} ${J(n.getHours())}:${J(n.getMinutes())}:${J(n.getSeconds())}`}var tn=new Set,X=null;function nn(){let e=Date.now();for(let t of tn)t.paint(e)}var rn=class extends HTMLElement{sinceIso=null;get since(){return this.sinceIso}set since(e){this.sinceIso=e,this.paint(Date.now())}paint(e){let t=$t(this.sinceIso,e);this.textContent!==t&&(this.textContent=t)}connectedCallback(){tn.add(this),this.paint(Date.now()),X??=setInterval(nn,1e3)}disconnectedCallback(){tn.delete(this),tn.size===0&&X&&(clearInterval(X),X=null)}};customElements.get(`forge-elapsed`)||customElements.define(`forge-elapsed`,rn);var an=e=>e.replace(`_`,` `);function on(e){let t=e?.online??null,[n,r]=t===null?[`tone-neutral`,`—`]:t?[`tone-ok`,`online`]:[`tone-bad`,`offline`];return T`<div role="cell" class="online ${n}" title=${t===null?`Online state is known inside Home Assistant`:r}>${r}</div>`}function sn(e,t){let n=Ut(e,t),r=Vt(e),i=Wt(e,t),a=e.trust.running.firmwareSha256;return T`<div role="cell" class="version">
    <div title=${t?.swVersion??(n?`flashed by Forge`:a?`running firmware ${a}`:`running version unknown`)}>${n??(a?T`<span class="mono">${a.slice(0,8)}</span>`:T`<span class="muted">unknown</span>`)}</div>
    <div class="sub ${i?`outdated`:``}" title=${i?`Forge would build other firmware than the device runs`:`Forge would build this version`}>
      → ${r??`default`}${i?T` · outdated`:D}
    </div>
  </div>`}function cn(e,t,n){if(t){let n=t.state===`running`,r=t.progress;return T`<div role="cell" class="status">
      <span class="chip tone-info">${n?`${t.phase??B[t.action]}${r==null?``:` ${Math.round(r)}%`}`:t.state===`blocked`?`blocked`:`queued`}</span>
      <forge-elapsed class="sub" .since=${n?t.startedAt:t.createdAt}></forge-elapsed>
      ${n?T`<div class="progress ${r==null?`indeterminate`:``}" role="progressbar" aria-label=${`Build progress of ${Bt(e)}`}
            aria-valuemin="0" aria-valuemax="100" aria-valuenow=${r==null?D:Math.round(r)}><div style=${r==null?``:`width:${Math.round(r)}%`}></div></div>`:D}
    </div>`}let r=n?.state??e.lastBuild?.state??null;if(!r)return T`<div role="cell" class="status muted">never built</div>`;let i=n&&(n.state===`failed`||n.state===`timed_out`)?n.error:null,a=Mt(n?.trust);return T`<div role="cell" class="status">
    <span class="chip ${z(r)}">${an(r)}</span>
    ${a?T`<div class="sub error-text" title=${i??a}>${a}</div>`:i?T`<div class="sub error-text" title=${i}>${n?.phase?`${n.phase}: `:``}${i}</div>`:D}
  </div>`}function ln(e,t){let n=e.lastBuild;if(!n)return T`<div role="cell" class="last muted">—</div>`;if(!n.finishedAt)return T`<div role="cell" class="last" title=${B[n.action]??n.action}>
      <div class="muted">in progress</div>
      <div class="sub"><span class="chip ${z(n.state)}">${an(n.state)}</span></div>
    </div>`;let r=t&&t.id===n.jobId?t.durationMs:null;return T`<div role="cell" class="last" title=${`${Y(n.finishedAt)} · ${B[n.action]}${r==null?``:` · ${Qt(r)}`}`}>
    <div>${en(n.finishedAt)}</div>
    <div class="sub"><span class="chip ${z(n.state)}">${an(n.state)}</span></div>
  </div>`}var un=class extends M{static properties={device:{attribute:!1},active:{attribute:!1},last:{attribute:!1},presence:{attribute:!1},columns:{attribute:!1},selected:{type:Boolean,reflect:!0},busy:{type:Boolean},error:{attribute:!1},trustOpen:{state:!0}};createRenderRoot(){return this}constructor(){super(),this.active=null,this.last=null,this.columns=[],this.selected=!1,this.busy=!1,this.error=null,this.trustOpen=!1}connectedCallback(){super.connectedCallback(),this.setAttribute(`role`,`row`),this.classList.add(`row`)}run(e){L(this,{action:e,deviceIds:[this.device.id]})}select(e){let t=e.target.checked;this.dispatchEvent(new CustomEvent(`forge-select`,{detail:{id:this.device.id,selected:t},bubbles:!0,composed:!0}))}render(){let e=this.device;if(!e)return D;let t=this.columns,n=Bt(e);return T`
      <div role="cell"><input type="checkbox" .checked=${this.selected} aria-label=${`Select ${n}`} @change=${this.select} /></div>
      <div role="cell" class="name">
        <b title=${e.file}>${n}</b>
        <div class="sub">${e.name??e.id}${e.platform?T` · ${e.platform}`:D}</div>
        ${e.error?T`<div class="sub error-text" title=${e.error}>config error: ${e.error}</div>`:D}
        ${e.tags.length?T`<div class="sub tags">${e.tags.map(e=>T`<span class="chip">${e}</span>`)}</div>`:D}
      </div>
      ${t.includes(`online`)?on(this.presence):D}
      ${t.includes(`version`)?sn(e,this.presence):D}
      ${t.includes(`status`)?cn(e,this.active,this.last):D}
      ${t.includes(`trust`)?this.renderTrust():D}
      ${t.includes(`last_build`)?ln(e,this.last):D}
      ${this.renderActions(n)}
      ${this.trustOpen?T`<div class="why" id="why" role="note"><p>${q(`Running`,e.trust.running)}</p><p>${q(`Pending`,e.trust.pending)}</p></div>`:D}
      ${this.error?T`<div class="alert" role="alert"><span>${this.error}</span><button aria-label="Dismiss error" @click=${()=>L(this,{action:`dismiss-error`,deviceId:e.id})}>✕</button></div>`:D}
    `}renderTrust(){let e=this.device.trust,t=e.running.state===`unknown`&&e.pending.state!==`unknown`?e.pending:e.running,n=`${q(`Running`,e.running)}\n${q(`Pending`,e.pending)}`,r=K[t.state]??t.state,i=this.device.trustPolicy;return T`<div role="cell" class="trust">
      <button class="chip tone-${Tt(t.state)}" title=${n} aria-label=${`Trust ${r}. Show why`} aria-expanded=${this.trustOpen?`true`:`false`}
        aria-controls="why" @click=${()=>this.trustOpen=!this.trustOpen}><span class="dot" aria-hidden="true"></span>${r}</button>
      ${i?T`<span class="chip policy tone-${i===`enforce`?`neutral`:`warn`}" role="note" title=${Nt[i]??i} aria-label=${Nt[i]??i}>${i}</span>`:D}
    </div>`}renderActions(e){let t=this.device,n=this.active,r=Ht(t)!=null,i=n?.id??this.last?.id??t.lastBuild?.jobId??null,a=this.busy||!!t.error;return T`<div role="cell" class="actions">
      <button class="btn" ?disabled=${a} aria-label=${`Compile ${e}`} title="Compile (no upload)" @click=${()=>this.run(`compile`)}>Compile</button>
      <button class="btn" ?disabled=${a} aria-label=${`Compile and upload ${e}`} title="Compile, then upload over the air" @click=${()=>this.run(`compile_upload`)}>Install</button>
      <button class="btn" ?disabled=${a||!r} aria-label=${`Upload stored firmware to ${e}`} title=${r?`Upload the stored firmware again (no recompile)`:`No stored firmware yet`} @click=${()=>this.run(`upload`)}>Upload</button>
      ${n?T`<button class="btn danger" ?disabled=${n.cancelRequested} aria-label=${`Cancel the ${n.state} job of ${e}`} @click=${()=>L(this,{action:`cancel`,jobId:n.id,deviceId:t.id})}>Cancel</button>`:D}
      <button class="btn" ?disabled=${i==null} aria-label=${`Open the build log of ${e}`} @click=${()=>i!=null&&L(this,{action:`log`,jobId:i})}>Log</button>
      <button class="btn" aria-label=${`Edit the config of ${e}`} @click=${()=>L(this,{action:`edit`,deviceId:t.id})}>Edit</button>
    </div>`}};customElements.get(`forge-device-row`)||customElements.define(`forge-device-row`,un);var dn=10,fn={name:`name`,status:`status`,last_build:`last_build`},pn=new Map,mn=class extends M{static properties={state:{attribute:!1},presence:{attribute:!1},scopeTags:{attribute:!1},columns:{attribute:!1},rowErrors:{attribute:!1},busy:{attribute:!1},query:{state:!0},selected:{state:!0}};jobsIndex=new Map;indexedJobs=null;visible=[];limit=16;growing=0;rowsPerFrame=20;visibleDeps=[];scoped={devices:null,tags:null,count:0,allTags:[]};constructor(){super(),this.presence=pn,this.scopeTags=[],this.columns=[],this.rowErrors=new Map,this.busy=new Set,this.query=zt,this.selected=new Set}static styles=[R,Zt,o`
      :host {
        display: block;
      }
      [role="table"] {
        container: forge-devices / inline-size;
      }
      .toolbar {
        display: flex;
        flex-wrap: wrap;
        gap: 8px;
        align-items: center;
        padding: 8px 12px;
      }
      .toolbar input[type="search"] {
        flex: 1 1 160px;
        min-width: 120px;
      }
      .tags {
        display: flex;
        flex-wrap: wrap;
        gap: 4px;
      }
      .tags button.chip {
        border: 1px solid transparent;
        cursor: pointer;
        font-family: inherit;
      }
      .tags button.chip[aria-pressed="true"] {
        --tone: var(--forge-accent);
        border-color: var(--forge-accent);
      }
      .head {
        display: grid;
        grid-template-columns: var(--forge-grid);
        column-gap: 10px;
        align-items: center;
        padding: 6px 12px;
        font-size: 0.8em;
        font-weight: 600;
        text-transform: uppercase;
        letter-spacing: 0.03em;
        color: var(--forge-muted);
      }
      .head button {
        all: unset;
        cursor: pointer;
      }
      .head button:focus-visible {
        outline: 2px solid var(--forge-accent);
      }
      .bulk {
        display: flex;
        flex-wrap: wrap;
        gap: 6px;
        align-items: center;
        padding: 8px 12px;
        background: color-mix(in srgb, var(--forge-accent) 10%, transparent);
      }
      .empty {
        padding: 24px 12px;
        text-align: center;
        color: var(--forge-muted);
      }
      @container forge-devices (max-width: 1100px) {
        .head {
          grid-template-columns: var(--forge-grid-medium);
        }
        .head .actions-head {
          display: none;
        }
      }
      @container forge-devices (max-width: 700px) {
        .head .opt {
          display: none;
        }
        .head {
          grid-template-columns: 28px 1fr auto;
        }
      }
    `];willUpdate(e){this.state.jobs!==this.indexedJobs&&(this.jobsIndex=Ft(this.state.jobs),this.indexedJobs=this.state.jobs);let t=this.query,n=Jt(t),r=[this.state.devices,t,this.scopeTags,n.jobs?this.jobsIndex:null,n.presence?this.presence:null];if(r.some((e,t)=>e!==this.visibleDeps[t])){let e=[];for(let n of this.state.devices.values())qt(n,this.scopeTags)&&Kt(n,this.jobsIndex.get(n.id),t,this.presence.get(n.id))&&e.push(n);this.visible=Yt(e,t,this.jobsIndex),this.visibleDeps=r}if(this.scoped.devices!==this.state.devices||this.scoped.tags!==this.scopeTags){let e=[...this.state.devices.values()].filter(e=>qt(e,this.scopeTags));this.scoped={devices:this.state.devices,tags:this.scopeTags,count:e.length,allTags:Xt(e)}}e.has(`columns`)&&(this.style.setProperty(`--forge-grid`,St(this.columns)),this.style.setProperty(`--forge-grid-medium`,St(this.columns,!1)))}updated(){this.limit<this.visible.length&&!this.growing&&(this.growing=requestAnimationFrame(()=>void this.grow()))}async grow(){let e=performance.now(),t=this.limit;this.limit+=this.rowsPerFrame,this.requestUpdate(),await this.updateComplete;let n=[...this.renderRoot.querySelectorAll(`forge-device-row`)].slice(t);await Promise.all(n.map(e=>e.updateComplete));let r=(performance.now()-e)/Math.max(1,n.length);this.rowsPerFrame=Math.max(5,Math.min(60,Math.floor(dn/Math.max(.05,r)))),this.growing=0,this.isConnected&&this.limit<this.visible.length&&(this.growing=requestAnimationFrame(()=>void this.grow()))}disconnectedCallback(){super.disconnectedCallback(),this.growing&&cancelAnimationFrame(this.growing),this.growing=0}setQuery(e){this.query={...this.query,...e}}toggleSort(e){this.setQuery(this.query.sort===e?{descending:!this.query.descending}:{sort:e,descending:!1})}onSelect(e){let t=new Set(this.selected);e.detail.selected?t.add(e.detail.id):t.delete(e.detail.id),this.selected=t}selectAll(e){this.selected=e?new Set(this.visible.map(e=>e.id)):new Set}bulk(e){let t=[...this.selected].filter(e=>this.state.devices.has(e));t.length&&L(this,{action:e,deviceIds:t})}render(){let e=this.scoped.allTags,t=this.query,n=this.selected,r=this.visible.length>0&&this.visible.every(e=>n.has(e.id));return T`
      <div class="toolbar" role="search">
        <input type="search" placeholder="Search devices" aria-label="Search devices" .value=${t.text} @input=${e=>this.setQuery({text:e.target.value})} />
        <select aria-label="Show devices" .value=${t.state} @change=${e=>this.setQuery({state:e.target.value})}>
          ${Rt.map(e=>T`<option value=${e} ?selected=${e===t.state}>${e===`all`?`all devices`:e}</option>`)}
        </select>
        <span class="muted" aria-live="polite">${this.visible.length} of ${this.scoped.count} devices</span>
        ${e.length?T`<div class="tags" role="group" aria-label="Filter by tag">
              ${e.map(e=>{let n=t.tags.includes(e);return T`<button class="chip" aria-pressed=${n?`true`:`false`} @click=${()=>this.setQuery({tags:n?t.tags.filter(t=>t!==e):[...t.tags,e]})}>${e}</button>`})}
            </div>`:D}
      </div>
      ${n.size?T`<div class="bulk" role="region" aria-label="Bulk actions">
            <b>${n.size} selected</b>
            <button class="btn" @click=${()=>this.bulk(`compile`)}>Compile</button>
            <button class="btn" @click=${()=>this.bulk(`compile_upload`)}>Compile &amp; upload</button>
            <button class="btn" @click=${()=>this.bulk(`upload`)}>Upload stored firmware</button>
            <button class="btn" @click=${()=>this.selectAll(!1)}>Clear selection</button>
          </div>`:D}
      <div role="table" aria-label="Devices" aria-rowcount=${this.visible.length+1} @forge-select=${this.onSelect}>
        <div class="head" role="row">
          <div role="columnheader"><input type="checkbox" aria-label="Select all shown devices" .checked=${r} @change=${e=>this.selectAll(e.target.checked)} /></div>
          ${this.header(`name`,`Device`)}
          ${this.columns.map(e=>this.header(e,bt[e]))}
          <div role="columnheader" class="opt actions-head" style="text-align:right">Actions</div>
        </div>
        ${yt(this.limit<this.visible.length?this.visible.slice(0,this.limit):this.visible,e=>e.id,e=>{let t=this.jobsIndex.get(e.id);return T`<forge-device-row
              .device=${e}
              .active=${t?.active??null}
              .last=${t?.last??null}
              .presence=${this.presence.get(e.id)}
              .columns=${this.columns}
              .error=${this.rowErrors.get(e.id)??null}
              ?selected=${n.has(e.id)}
              ?busy=${this.busy.has(e.id)}
            ></forge-device-row>`})}
      </div>
      ${this.visible.length===0?T`<div class="empty">${this.state.loaded?`No devices match.`:`Loading devices…`}</div>`:D}
    `}header(e,t){let n=fn[e],r=e===`name`?``:`opt`;if(!n)return T`<div role="columnheader" class=${r}>${t}</div>`;let i=this.query.sort===n;return T`<div role="columnheader" class=${r} aria-sort=${i?this.query.descending?`descending`:`ascending`:`none`}>
      <button @click=${()=>this.toggleSort(n)} aria-label=${`Sort by ${t}`}>${t}${i?this.query.descending?` ▼`:` ▲`:``}</button>
    </div>`}};customElements.get(`forge-devices-view`)||customElements.define(`forge-devices-view`,mn);function hn(e){let t=e.trust;if(!t)return D;let{tone:n,label:r}=At(t),i=jt(t);return T`<span class="chip tone-${n} job-trust" role="note" title=${i} aria-label=${i}>${r}</span>`}var gn=`\x1B`,_n={"&":`&amp;`,"<":`&lt;`,">":`&gt;`,'"':`&quot;`,"'":`&#39;`},vn=/[&<>"']|\r\n?|[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]/g;function yn(e){return e.replace(vn,e=>_n[e]??(e[0]===`\r`?`
`:``))}var bn=()=>({fg:null,bg:null,bold:!1,dim:!1,italic:!1,underline:!1}),xn=e=>Math.max(0,Math.min(255,Number.isFinite(e)?Math.trunc(e):0));function Sn(e){if(e>=232){let t=8+(e-232)*10;return`rgb(${t},${t},${t})`}let t=e-16,n=[0,95,135,175,215,255];return`rgb(${n[Math.floor(t/36)]},${n[Math.floor(t/6)%6]},${n[t%6]})`}function Cn(e,t){let n=e[t+1];if(n===5){let n=xn(e[t+2]);return[n<16?n:Sn(n),3]}return n===2?[`rgb(${xn(e[t+2])},${xn(e[t+3])},${xn(e[t+4])})`,5]:[null,1]}function wn(e,t){t.length===0&&(t=[0]);for(let n=0;n<t.length;n++){let r=t[n];if(r===0)Object.assign(e,bn());else if(r===1)e.bold=!0;else if(r===2)e.dim=!0;else if(r===3)e.italic=!0;else if(r===4)e.underline=!0;else if(r===22)e.bold=e.dim=!1;else if(r===23)e.italic=!1;else if(r===24)e.underline=!1;else if(r>=30&&r<=37)e.fg=r-30;else if(r>=90&&r<=97)e.fg=r-90+8;else if(r===39)e.fg=null;else if(r>=40&&r<=47)e.bg=r-40;else if(r>=100&&r<=107)e.bg=r-100+8;else if(r===49)e.bg=null;else if(r===38||r===48){let[i,a]=Cn(t,n);r===38?e.fg=i:e.bg=i,n+=a-1}}}function Tn(e){let t=[],n=[];return typeof e.fg==`number`?t.push(`a-f${e.fg}`):e.fg&&n.push(`color:${e.fg}`),typeof e.bg==`number`?t.push(`a-g${e.bg}`):e.bg&&n.push(`background:${e.bg}`),e.bold&&t.push(`a-b`),e.dim&&t.push(`a-d`),e.italic&&t.push(`a-i`),e.underline&&t.push(`a-u`),!t.length&&!n.length?``:`<span${t.length?` class="${t.join(` `)}"`:``}${n.length?` style="${n.join(`;`)}"`:``}>`}var En=class{style=bn();pending=``;push(e){e=this.pending+e,this.pending=``;let t=``,n=Tn(this.style),r=0,i=e=>{e&&(t+=n?`${n}${yn(e)}</span>`:yn(e))};for(;r<e.length;){let t=e.indexOf(gn,r);if(t<0){i(e.slice(r));break}i(e.slice(r,t));let a=this.sequenceEnd(e,t);if(a<0){let n=e.slice(t);n.length<64&&(this.pending=n);break}let o=e.slice(t,a);if(o[1]===`[`&&o.endsWith(`m`)){let e=o.slice(2,-1).split(/[;:]/).filter(e=>e!==``).map(Number);wn(this.style,e),n=Tn(this.style)}r=a}return t}sequenceEnd(e,t){let n=e[t+1];if(n===void 0)return-1;if(n===`[`){for(let n=t+2;n<e.length;n++){let r=e.charCodeAt(n);if(r>=64&&r<=126)return n+1;if(n-t>32)return n}return-1}if(n===`]`){for(let n=t+2;n<e.length;n++){if(e[n]===`\x07`)return n+1;if(e[n]===gn&&e[n+1]===`\\`)return n+2;if(n-t>256)return n}return-1}return t+2}},Dn=[`wheel`,`touchmove`,`keydown`,`pointerdown`],On=class{scroller;content;onFollowChange;follow=!0;queue=[];converter=new En;last=null;lastChars=0;lastOpen=!1;scheduled=!1;bytesShown=0;blockChars;budgetMs;stepChars;schedule;userUntil=0;resize;constructor(e,t,n={},r=()=>void 0){this.scroller=e,this.content=t,this.onFollowChange=r,this.blockChars=n.blockChars??16384,this.budgetMs=n.budgetMs??8,this.stepChars=n.stepChars??16384,this.schedule=n.schedule??(e=>requestAnimationFrame(()=>e())),e.addEventListener(`scroll`,this.onScroll,{passive:!0});for(let t of Dn)e.addEventListener(t,this.markUser,{passive:!0});this.resize=typeof ResizeObserver>`u`?null:new ResizeObserver(()=>this.stick()),this.resize?.observe(e)}get shownChars(){return this.bytesShown}get pendingChars(){return this.queue.reduce((e,t)=>e+(`text`in t?t.text.length:0),0)}write(e){if(!e)return;let t=this.queue[this.queue.length-1];t&&`text`in t&&t.text.length<this.stepChars?t.text+=e:this.queue.push({text:e}),this.kick()}note(e){this.queue.push({note:e}),this.kick()}clear(){this.queue.length=0,this.content.replaceChildren(),this.converter=new En,this.last=null,this.lastChars=0,this.lastOpen=!1,this.bytesShown=0,this.setFollow(!0)}dispose(){this.queue.length=0,this.scroller.removeEventListener(`scroll`,this.onScroll);for(let e of Dn)this.scroller.removeEventListener(e,this.markUser);this.resize?.disconnect()}scrollToEnd(){this.setFollow(!0),this.stick()}flushAll(){for(;this.queue.length;)this.step();this.stick()}kick(){this.scheduled||(this.scheduled=!0,this.schedule(()=>this.pump()))}pump(){this.scheduled=!1;let e=performance.now();do this.step();while(this.queue.length&&performance.now()-e<this.budgetMs);this.stick(),this.queue.length&&this.kick()}step(){let e=this.queue[0];if(!e)return;if(`note`in e){this.queue.shift();let t=document.createElement(`div`);t.className=`note`,t.textContent=e.note,this.content.appendChild(t),this.last=null;return}let t=e.text;for(t.length>this.stepChars?(e.text=t.slice(this.stepChars),t=t.slice(0,this.stepChars)):this.queue.shift(),this.bytesShown+=t.length;t;){(!this.last||this.lastChars>=this.blockChars&&!this.lastOpen)&&this.newBlock();let e=Math.max(0,this.blockChars-this.lastChars),n=e>=t.length?t.length:t.indexOf(`
`,Math.max(0,e-1));n=n<0?t.length:Math.min(t.length,n+1);let r=t.slice(0,n);t=t.slice(n),this.last.insertAdjacentHTML(`beforeend`,this.converter.push(r)),this.lastChars+=r.length,this.lastOpen=!r.endsWith(`
`)}}newBlock(){let e=document.createElement(`div`);e.className=`blk`,this.content.appendChild(e),this.last=e,this.lastChars=0,this.lastOpen=!1}stick(){this.follow&&(this.scroller.scrollTop=this.scroller.scrollHeight)}markUser=()=>{this.userUntil=performance.now()+800};onScroll=()=>{this.scroller.scrollHeight-this.scroller.scrollTop-this.scroller.clientHeight<24?this.setFollow(!0):performance.now()<this.userUntil&&this.setFollow(!1)};setFollow(e){this.follow!==e&&(this.follow=e,this.onFollowChange(e))}},kn=class extends M{static properties={source:{attribute:!1},jobId:{attribute:!1},job:{attribute:!1},deviceName:{attribute:!1},following:{state:!0},problem:{state:!0}};writer=null;unsubscribe=null;subscribedTo=null;constructor(){super(),this.source=null,this.jobId=null,this.deviceName=``,this.following=!0,this.problem=null}static styles=[R,o`
      :host {
        display: flex;
        flex-direction: column;
        border-top: 1px solid var(--forge-divider);
        min-height: 0;
      }
      header {
        display: flex;
        flex-wrap: wrap;
        gap: 8px;
        align-items: center;
        padding: 8px 12px;
      }
      header .title {
        flex: 1;
        min-width: 0;
        overflow: hidden;
        text-overflow: ellipsis;
        white-space: nowrap;
      }
      .wrap {
        position: relative;
      }
      .scroller {
        height: var(--forge-log-height, 360px);
        overflow: auto;
        background: var(--forge-log-background, #1b1d21);
        color: var(--forge-log-color, #e3e3e3);
        font-family: var(--code-font-family, ui-monospace, "SFMono-Regular", Menlo, Consolas, monospace);
        font-size: 12px;
        line-height: 1.45;
        padding: 8px 10px;
        box-sizing: border-box;
        overscroll-behavior: contain;
      }
      .content {
        white-space: pre-wrap;
        overflow-wrap: anywhere;
      }
      .blk {
        content-visibility: auto;
        contain-intrinsic-size: auto 300px;
      }
      .note {
        color: #9aa0a6;
        font-style: italic;
        margin: 4px 0;
      }
      .jump {
        position: absolute;
        right: 18px;
        bottom: 12px;
      }
      .a-b { font-weight: 700; }
      .a-d { opacity: 0.7; }
      .a-i { font-style: italic; }
      .a-u { text-decoration: underline; }
      .a-f0 { color: #5c6370; } .a-f1 { color: #ef6b73; } .a-f2 { color: #8bd06a; } .a-f3 { color: #e5c07b; }
      .a-f4 { color: #61afef; } .a-f5 { color: #d291e4; } .a-f6 { color: #56b6c2; } .a-f7 { color: #dcdfe4; }
      .a-f8 { color: #7f848e; } .a-f9 { color: #ff7b86; } .a-f10 { color: #a5e075; } .a-f11 { color: #f0d58c; }
      .a-f12 { color: #7dc2ff; } .a-f13 { color: #e2a6f0; } .a-f14 { color: #6fd3df; } .a-f15 { color: #ffffff; }
      .a-g0 { background: #3b3f47; } .a-g1 { background: #8c2f37; } .a-g2 { background: #3d6b2b; } .a-g3 { background: #7a6424; }
      .a-g4 { background: #2a5480; } .a-g5 { background: #6b3b79; } .a-g6 { background: #2a6670; } .a-g7 { background: #9ca3af; }
      .a-g8 { background: #4b5160; } .a-g9 { background: #b23a45; } .a-g10 { background: #4f8a38; } .a-g11 { background: #9c8330; }
      .a-g12 { background: #3a6ea5; } .a-g13 { background: #8a4d9c; } .a-g14 { background: #368590; } .a-g15 { background: #d1d5db; }
    `];firstUpdated(){let e=this.renderRoot.querySelector(`.scroller`),t=this.renderRoot.querySelector(`.content`);this.writer=new On(e,t,{},e=>this.following=e),this.resubscribe()}updated(e){(e.has(`jobId`)||e.has(`source`))&&this.resubscribe()}connectedCallback(){super.connectedCallback(),this.writer&&this.resubscribe()}disconnectedCallback(){super.disconnectedCallback(),this.unsubscribe?.(),this.unsubscribe=null,this.subscribedTo=null}resubscribe(){let e=this.writer;if(!e)return;let t=this.source,n=this.jobId;this.subscribedTo&&t===this.subscribedTo.source&&n===this.subscribedTo.jobId||(this.unsubscribe?.(),this.unsubscribe=null,this.subscribedTo=null,e.clear(),this.problem=null,t&&n!=null&&(this.subscribedTo={source:t,jobId:n},this.unsubscribe=t.subscribeLog(n,0,t=>{t.kind===`text`?e.write(t.text):t.kind===`truncated`?e.note(`… older output was dropped by the log size limit …`):t.kind===`gap`?e.note(`… ${t.bytes} bytes missing …`):t.kind===`end`?e.note(`— job ${t.state.replace(`_`,` `)} —`):this.problem=t.message})))}close(){this.dispatchEvent(new CustomEvent(`forge-log-close`,{bubbles:!0,composed:!0}))}render(){let e=this.job,t=e?.state===`running`,n=Mt(e?.trust);return T`
      <header>
        <span class="title"><b>Log</b> · ${this.deviceName||e?.deviceId||``} ${e?T`<span class="muted">${B[e.action]??e.action} #${e.id}</span>`:this.jobId==null?D:T`<span class="muted">#${this.jobId}</span>`}</span>
        ${e?T`<span class="chip ${z(e.state)}">${e.state.replace(`_`,` `)}${t&&e.progress!=null?` ${Math.round(e.progress)}%`:``}</span>`:D}
        ${e?hn(e):D}
        ${e?T`<span class="muted">${t?$t(e.startedAt):Qt(e.durationMs)}</span>`:D}
        <button class="btn" aria-label="Close the log" @click=${this.close}>Close</button>
      </header>
      ${e?.error||n?T`<div class="error-text" style="padding:0 12px 6px" role="alert" title=${e?.error??``}>${n??`${e?.phase?`${e.phase}: `:``}${e?.error}`}</div>`:D}
      ${this.problem?T`<div class="error-text" style="padding:0 12px 6px" role="alert">${this.problem}</div>`:D}
      <div class="wrap">
        <div class="scroller" role="log" aria-live="off" aria-label=${`Build log of job ${this.jobId??``}`} tabindex="0"><div class="content"></div></div>
        <button class="btn primary jump" ?hidden=${this.following} @click=${()=>this.writer?.scrollToEnd()}>↓ Follow the end</button>
      </div>
    `}};customElements.get(`forge-log-panel`)||customElements.define(`forge-log-panel`,kn);var An={interactive:0,automation:1,scheduled:2,bulk:3};function jn(e,t=25){let n=[],r=[],i=[];for(let t of e)t.state===`running`?n.push(t):t.state===`queued`||t.state===`blocked`?r.push(t):i.push(t);return n.sort((e,t)=>(e.startedAt??``).localeCompare(t.startedAt??``)||e.id-t.id),r.sort((e,t)=>(An[e.priority]??9)-(An[t.priority]??9)||e.id-t.id),i.sort((e,t)=>(t.finishedAt??``).localeCompare(e.finishedAt??``)||t.id-e.id),{running:n,queued:r,recent:i.slice(0,t)}}var Mn=class extends M{static properties={state:{attribute:!1}};ticker=null;static styles=[R,o`
      :host {
        display: block;
        padding: 4px 12px 12px;
      }
      h3 {
        font-size: 0.85em;
        text-transform: uppercase;
        letter-spacing: 0.04em;
        color: var(--forge-muted);
        margin: 12px 0 4px;
      }
      ul {
        list-style: none;
        margin: 0;
        padding: 0;
      }
      li {
        display: grid;
        grid-template-columns: minmax(120px, 1.4fr) minmax(90px, 1fr) minmax(110px, 1fr) auto;
        gap: 8px;
        align-items: center;
        padding: 6px 0;
        border-top: 1px solid var(--forge-divider);
      }
      li .err {
        grid-column: 1 / -1;
        font-size: 0.85em;
      }
      .right {
        display: flex;
        gap: 4px;
        justify-content: flex-end;
        align-items: center;
      }
      .empty {
        color: var(--forge-muted);
        padding: 4px 0;
      }
      @media (max-width: 560px) {
        li {
          grid-template-columns: 1fr auto;
        }
      }
    `];connectedCallback(){super.connectedCallback(),this.ticker=setInterval(()=>this.requestUpdate(),1e3)}disconnectedCallback(){super.disconnectedCallback(),this.ticker&&clearInterval(this.ticker),this.ticker=null}deviceName(e){let t=this.state.devices.get(e);return t?.friendlyName||t?.name||e}workerName(e){return e?this.state.workers.get(e)?.name??e:`—`}render(){let e=jn(this.state.jobs.values());return T`
      <section aria-label="Running jobs">
        <h3>Running (${e.running.length})</h3>
        ${this.list(e.running,e=>T`
          <span class="muted">on ${this.workerName(e.workerId)}${e.progress==null?``:` · ${Math.round(e.progress)}%`}</span>
          <span>${e.phase??`starting`} · ${$t(e.startedAt)}</span>`)}
      </section>
      <section aria-label="Queued jobs">
        <h3>Queued (${e.queued.length})</h3>
        ${this.list(e.queued,(e,t)=>T`
          <span class="muted">#${t+1} · ${e.priority}${e.state===`blocked`?` · blocked`:``}</span>
          <span>waiting ${$t(e.createdAt)}</span>`)}
      </section>
      <section aria-label="Recent jobs">
        <h3>Recent (${e.recent.length})</h3>
        ${this.list(e.recent,e=>T`
          <span><span class="chip ${z(e.state)}">${e.state.replace(`_`,` `)}</span></span>
          <span class="muted" title=${Y(e.finishedAt)}>${Qt(e.durationMs)} · ${en(e.finishedAt)}</span>`)}
      </section>
    `}list(e,t){return e.length?T`<ul>
      ${e.map((e,n)=>{let r=e.state===`running`||e.state===`queued`||e.state===`blocked`,i=Mt(e.trust);return T`<li>
          <span><b>${this.deviceName(e.deviceId)}</b> <span class="muted">${B[e.action]??e.action} #${e.id}</span></span>
          ${t(e,n)}
          <span class="right">
            ${hn(e)}
            ${r?T`<button class="btn danger" ?disabled=${e.cancelRequested} aria-label=${`Cancel job ${e.id}`} @click=${()=>L(this,{action:`cancel`,jobId:e.id,deviceId:e.deviceId})}>Cancel</button>`:D}
            <button class="btn" aria-label=${`Open the log of job ${e.id}`} @click=${()=>L(this,{action:`log`,jobId:e.id})}>Log</button>
          </span>
          ${i?T`<span class="err error-text" title=${e.error??``}>${i}</span>`:D}
          ${e.error&&!i?T`<span class="err ${e.state===`cancelled`?`muted`:`error-text`}">${e.phase?`${e.phase}: `:``}${e.error}</span>`:D}
        </li>`})}
    </ul>`:T`<div class="empty">none</div>`}};customElements.get(`forge-queue-view`)||customElements.define(`forge-queue-view`,Mn);var Nn=864e5,Pn={enforce:`ok`,warn:`warn`,off:`bad`},Fn={enforce:`Fleet trust policy: only verified firmware is flashed`,warn:`Fleet trust policy: firmware that is not verified is flashed with a warning`,off:`Fleet trust policy: no trust check before flashing`};function In(e,t){let n=Math.floor((Date.parse(e)-t)/Nn);return Number.isNaN(n)?`expiry unknown`:n<1?`expires today`:`expires in ${n} d`}function Ln(e,t=Date.now()){let n=[],r=[{text:`policy ${e.policy}`,tone:Pn[e.policy]??`neutral`,title:Fn[e.policy]??e.policy}],i=e.revocations;if(e.revocationError)r.push({text:`revocation list INVALID`,tone:`bad`,title:e.revocationError}),n.push(`The revocation list fails its check (every verdict reads invalid): ${e.revocationError}`);else if(!i)r.push({text:`no revocation list`,tone:`neutral`,title:`Nothing has been revoked yet`});else{let e=`Revocation list version ${i.version}: ${i.entries} entr${i.entries===1?`y`:`ies`}, issued ${Y(i.issuedAt)}, expires ${Y(i.expiresAt)}`,a=Date.parse(i.expiresAt)-t<7*Nn;r.push({text:`revocations v${i.version} · ${i.expired?`EXPIRED`:In(i.expiresAt,t)}`,tone:i.expired?`bad`:a?`warn`:`ok`,title:e}),i.expired&&n.push(`The revocation list (version ${i.version}) expired ${Y(i.expiresAt)}: verdicts read stale until a fresh list is published.`)}let a=e.log.audit;if(!a)r.push({text:`log not checked`,tone:`neutral`,title:`Transparency log: ${e.log.size} entries, not checked yet`});else if(a.ok)r.push({text:`log check ok`,tone:`ok`,title:`Transparency log consistent: ${a.treeSize} entries, ${a.checkpointsChecked} checkpoints, checked ${Y(a.checkedAt)}`});else{let e=a.problems.length?a.problems.slice(0,3).join(`; `)+(a.problems.length>3?` (+${a.problems.length-3} more)`:``):`no detail`;r.push({text:`log check FAILED`,tone:`bad`,title:a.problems.join(`
`)||`no detail`}),n.push(`Transparency log check FAILED (${Y(a.checkedAt)}): ${e}`)}return{items:r,alert:n.length?n.join(` `):null}}var Rn=class extends M{static properties={feed:{attribute:!1},status:{state:!0},error:{state:!0}};unsubscribe=null;subscribed=null;constructor(){super(),this.feed=null,this.status=null,this.error=null}static styles=[R,o`
      :host {
        display: block;
        padding: 4px 12px 0;
        font-size: 0.85em;
      }
      .line {
        display: flex;
        flex-wrap: wrap;
        gap: 4px;
        align-items: center;
      }
      .alert {
        margin-top: 4px;
        padding: 6px 10px;
        border-radius: 6px;
        font-weight: 600;
        color: var(--forge-bad);
        background: color-mix(in srgb, var(--forge-bad) 12%, transparent);
        border-left: 4px solid var(--forge-bad);
      }
    `];connectedCallback(){super.connectedCallback(),this.attach()}disconnectedCallback(){super.disconnectedCallback(),this.unsubscribe?.(),this.unsubscribe=null,this.subscribed=null}willUpdate(){this.isConnected&&this.feed!==this.subscribed&&this.attach()}attach(){this.subscribed===this.feed&&this.unsubscribe||(this.unsubscribe?.(),this.subscribed=this.feed,this.unsubscribe=this.feed?.subscribe(e=>{this.status=e.status,this.error=e.error})??null)}render(){if(!this.status)return this.error?T`<div class="line muted">Trust status unavailable: ${this.error}</div>`:D;let{items:e,alert:t}=Ln(this.status);return T`
      <div class="line" role="group" aria-label="Content trust status">
        <span class="muted">Trust</span>
        ${e.map(e=>T`<span class="chip tone-${e.tone}" title=${e.title}>${e.text}</span>`)}
        ${this.error?T`<span class="muted" title=${this.error}>(not refreshed)</span>`:D}
      </div>
      ${t?T`<div class="alert" role="alert">${t}</div>`:D}
    `}};customElements.get(`forge-trust-status`)||customElements.define(`forge-trust-status`,Rn);var zn=class extends M{static properties={state:{attribute:!1}};static styles=[R,o`
      :host {
        display: block;
        padding: 8px 12px 12px;
      }
      ul {
        list-style: none;
        margin: 0;
        padding: 0;
        display: grid;
        grid-template-columns: repeat(auto-fill, minmax(240px, 1fr));
        gap: 10px;
      }
      li {
        border: 1px solid var(--forge-divider);
        border-radius: 10px;
        padding: 10px 12px;
        display: grid;
        gap: 6px;
      }
      .top {
        display: flex;
        justify-content: space-between;
        gap: 8px;
        align-items: baseline;
      }
      .slots {
        display: flex;
        gap: 3px;
      }
      .slot {
        flex: 1;
        height: 6px;
        border-radius: 3px;
        background: var(--forge-divider);
      }
      .slot.busy {
        background: var(--forge-accent);
      }
      .empty {
        color: var(--forge-muted);
        padding: 12px 0;
      }
    `];jobLabel(e){let t=this.state.jobs.get(e);if(!t)return`#${e}`;let n=this.state.devices.get(t.deviceId);return`${n?.friendlyName||n?.name||t.deviceId} (#${e})`}render(){let e=[...this.state.workers.values()].sort((e,t)=>Number(t.online)-Number(e.online)||e.name.localeCompare(t.name));return e.length?T`<ul aria-label="Build workers">
      ${e.map(e=>this.renderWorker(e))}
    </ul>`:T`<div class="empty">No build workers yet. Start one with <span class="mono">esphome-forge worker</span>.</div>`}renderWorker(e){let t=e.system;return T`<li aria-label=${`Worker ${e.name}, ${e.online?`online`:`offline`}, ${e.busySlots} of ${e.slots} slots busy`}>
      <div class="top">
        <b>${e.name}${e.local?T` <span class="chip">built-in</span>`:D}</b>
        <span class="chip ${e.online?`tone-ok`:`tone-bad`}">${e.online?`online`:`offline`}</span>
      </div>
      <div>
        <div class="muted">${e.busySlots} / ${e.slots} slots in use</div>
        <div class="slots" aria-hidden="true">${Array.from({length:e.slots},(t,n)=>T`<span class="slot ${n<e.busySlots?`busy`:``}"></span>`)}</div>
      </div>
      <div>${e.activeJobIds.length?e.activeJobIds.map(e=>T`<div>▶ ${this.jobLabel(e)}</div>`):T`<span class="muted">idle</span>`}</div>
      <div class="muted">${e.platform??(t?`${t.os}/${t.arch}`:`unknown platform`)}${t?` · ${t.cpus} CPUs`:``}${e.version?` · v${e.version}`:``}</div>
      ${e.tags.length?T`<div>${e.tags.map(e=>T`<span class="chip">${e}</span> `)}</div>`:D}
      ${e.esphomeVersions.length?T`<div class="muted">ESPHome ${e.esphomeVersions.join(`, `)}</div>`:D}
      ${!e.online&&e.lastSeenAt?T`<div class="muted">last seen ${en(e.lastSeenAt)}</div>`:D}
    </li>`}};customElements.get(`forge-workers-view`)||customElements.define(`forge-workers-view`,zn);function Bn(e){return e.startsWith(`+++`)||e.startsWith(`---`)||e.startsWith(`diff `)||e.startsWith(`index `)?`meta`:e.startsWith(`@@`)?`hunk`:e.startsWith(`+`)?`add`:e.startsWith(`-`)?`del`:`ctx`}var Vn=class extends M{static properties={diff:{attribute:!1},label:{attribute:!1}};constructor(){super(),this.diff=``,this.label=`Differences`}static styles=[R,o`
      pre {
        margin: 0;
        padding: 6px 0;
        overflow: auto;
        max-height: 360px;
        font-size: 12px;
        line-height: 1.45;
      }
      span {
        display: block;
        padding: 0 10px;
        white-space: pre;
      }
      .add {
        background: color-mix(in srgb, var(--forge-ok) 16%, transparent);
      }
      .del {
        background: color-mix(in srgb, var(--forge-bad) 16%, transparent);
      }
      .hunk {
        color: var(--forge-info);
      }
      .meta {
        color: var(--forge-muted);
      }
    `];render(){if(!this.diff)return T`<p class="muted" role="status">No differences.</p>`;let e=this.diff.replace(/\n$/,``).split(`
`);return T`<pre class="mono" role="region" aria-label=${this.label}>${e.map(e=>T`<span class=${Bn(e)}>${e||D}</span>`)}</pre>`}};customElements.get(`forge-diff-view`)||customElements.define(`forge-diff-view`,Vn);var Hn=20,Un={api:`API`,card:`card`,ha:`Home Assistant`,external:`outside Forge`,forge:`Forge`},Wn=class extends M{static properties={source:{attribute:!1},deviceId:{attribute:!1},entries:{state:!0},nextOffset:{state:!0},selected:{state:!0},diff:{state:!0},problem:{state:!0},busy:{state:!0}};loadedFor=``;constructor(){super(),this.source=null,this.deviceId=``,this.entries=[],this.nextOffset=null,this.selected=null,this.diff=null,this.problem=null,this.busy=!1}static styles=[R,o`
      ol {
        list-style: none;
        margin: 0;
        padding: 0;
      }
      li {
        display: flex;
        flex-wrap: wrap;
        gap: 4px 10px;
        align-items: baseline;
        padding: 6px 12px;
        border-top: 1px solid var(--forge-divider);
      }
      li[aria-current="true"] {
        background: color-mix(in srgb, var(--forge-accent) 8%, transparent);
      }
      .subject {
        flex: 1 1 240px;
        min-width: 0;
      }
      .who {
        font-size: 0.85em;
      }
      .acts {
        display: flex;
        gap: 4px;
      }
      .problem {
        margin: 8px 12px;
      }
      .more {
        padding: 8px 12px;
      }
    `];willUpdate(){let e=`${this.deviceId}`;this.source?.workspace&&this.deviceId&&e!==this.loadedFor&&(this.loadedFor=e,this.entries=[],this.selected=null,this.diff=null,this.load(0))}reload(){this.loadedFor=``,this.requestUpdate()}async load(e){try{let t=await this.source.workspace.history(this.deviceId,e,Hn);this.entries=e===0?t.entries:[...this.entries,...t.entries],this.nextOffset=t.nextOffset,this.problem=null}catch(e){this.problem=P(e).message}}async show(e,t){this.selected={commit:e,against:t},this.diff=null;try{let n=this.entries.findIndex(t=>t.commit===e),r=this.entries[n+1]?.commit,i=this.source.workspace,a=t===`now`?await i.diff(this.deviceId,e):r?await i.diff(this.deviceId,r,e):null;this.diff=a?a.diff:``,this.problem=null}catch(e){this.problem=P(e).message}}async restore(e){this.busy=!0;try{let t=await this.source.workspace.restore(this.deviceId,e.commit);this.dispatchEvent(new CustomEvent(`forge-config-restored`,{detail:t,bubbles:!0,composed:!0})),this.reload()}catch(e){this.problem=`Restore failed: ${P(e).message}`}finally{this.busy=!1}}render(){return T`
      ${this.problem?T`<p class="problem error-text" role="alert">${this.problem}</p>`:D}
      <ol aria-label="Config history">
        ${this.entries.map((e,t)=>this.renderEntry(e,t))}
      </ol>
      ${this.entries.length===0&&!this.problem?T`<p class="more muted">No history yet.</p>`:D}
      ${this.nextOffset==null?D:T`<div class="more"><button class="btn" @click=${()=>this.load(this.nextOffset)}>Older versions</button></div>`}
      ${this.selected&&this.diff!==null?T`<forge-diff-view .diff=${this.diff} .label=${`Changes of ${this.selected.commit.slice(0,7)} ${this.selected.against===`now`?`up to now`:`against the version before`}`}></forge-diff-view>`:D}
    `}renderEntry(e,t){let n=this.selected?.commit===e.commit,r=en(e.date);return T`<li aria-current=${n?`true`:`false`}>
      <code class="mono">${e.shortCommit}</code>
      <span class="subject">${e.subject}</span>
      <span class="who muted">${e.author}${e.source?` · ${Un[e.source]??e.source}`:``} · <time datetime=${e.date} title=${e.date}>${r}</time></span>
      <span class="acts">
        ${t+1<this.entries.length||this.nextOffset!=null?T`<button class="btn" aria-label=${`Show the changes of ${e.shortCommit}`} @click=${()=>this.show(e.commit,`previous`)}>Changes</button>`:D}
        ${t>0?T`<button class="btn" aria-label=${`Compare ${e.shortCommit} with now`} @click=${()=>this.show(e.commit,`now`)}>Diff with now</button>`:D}
        ${t>0?T`<button class="btn" ?disabled=${this.busy} aria-label=${`Restore the version ${e.shortCommit}`} @click=${()=>this.restore(e)}>Restore</button>`:D}
      </span>
    </li>`}};customElements.get(`forge-config-history`)||customElements.define(`forge-config-history`,Wn);var Gn=new Set([`succeeded`,`failed`,`cancelled`,`timed_out`]),Kn=class extends M{static properties={source:{attribute:!1},state:{attribute:!1},deviceId:{attribute:!1},file:{state:!0},text:{state:!0},pane:{state:!0},saving:{state:!0},message:{state:!0},problem:{state:!0},conflict:{state:!0},validating:{state:!0}};loadedFor=``;constructor(){super(),Le(),this.source=null,this.state=null,this.deviceId=``,this.file=null,this.text=``,this.pane=`edit`,this.saving=!1,this.message=null,this.problem=null,this.conflict=null,this.validating=[],this.addEventListener(`keydown`,e=>{(e.ctrlKey||e.metaKey)&&e.key.toLowerCase()===`s`&&(e.preventDefault(),this.save())}),this.addEventListener(`forge-config-restored`,()=>void this.load(!0))}static styles=[R,o`
      :host {
        display: block;
        border-top: 1px solid var(--forge-divider);
      }
      header {
        display: flex;
        flex-wrap: wrap;
        gap: 8px;
        align-items: center;
        padding: 8px 12px;
      }
      header .title {
        flex: 1;
        min-width: 0;
        font-weight: 500;
      }
      .status {
        padding: 4px 12px 8px;
        display: flex;
        flex-wrap: wrap;
        gap: 6px;
        align-items: center;
      }
      .errors {
        list-style: none;
        margin: 0;
        padding: 0 12px 8px;
      }
      .errors li {
        padding: 2px 0;
      }
      .errors button {
        all: unset;
        cursor: pointer;
        color: var(--forge-bad);
        text-decoration: underline;
      }
      .editor {
        border-top: 1px solid var(--forge-divider);
        border-bottom: 1px solid var(--forge-divider);
      }
      .conflict {
        margin: 8px 12px;
        border: 1px solid var(--forge-bad);
        border-radius: 8px;
        overflow: hidden;
      }
      .conflict p {
        margin: 8px 12px;
      }
    `];willUpdate(e){if(e.has(`deviceId`)||e.has(`source`)){let e=this.deviceId;this.source?.workspace&&e&&e!==this.loadedFor&&this.load(!1)}}get device(){return this.state?.devices.get(this.deviceId)}get dirty(){return this.file!==null&&this.text!==this.file.content}async load(e){this.loadedFor=this.deviceId;try{let t=await this.source.workspace.read(this.deviceId);this.file=t,this.text=t.content,this.conflict=null,this.problem=null,e||(this.message=null,this.validating=[])}catch(e){this.problem=P(e).message}}async save(){let e=this.file;if(!e||this.saving||!this.source?.workspace)return;let t=this.renderRoot.querySelector(`forge-code-editor`)?.value??this.text;this.text=t,this.saving=!0,this.problem=null;try{let n=await this.source.workspace.save(this.deviceId,t,e.sha256,e.path);this.file={...e,content:t,sha256:n.sha256},this.conflict=null,this.validating=n.validation.map(e=>e.jobId),this.message=n.commit?`Saved as ${n.commit.slice(0,7)}.`:`Saved (nothing changed).`,this.renderRoot.querySelector(`forge-config-history`)?.reload()}catch(e){let t=P(e);t instanceof N&&t.code===`conflict`&&(this.conflict=t.details??{currentSha256:null,diff:null}),this.problem=t.message}finally{this.saving=!1}}async overwrite(){this.file&&this.conflict?.currentSha256&&(this.file={...this.file,sha256:this.conflict.currentSha256},await this.save())}validation(){let e=this.validating.map(e=>this.state?.jobs.get(e)).filter(e=>e!=null);if(this.validating.length){if(e.length<this.validating.length||e.some(e=>!Gn.has(e.state)))return{state:`running`,errors:[]};let t=e.flatMap(e=>e.validationErrors),n=e.find(e=>e.state!==`succeeded`);return n&&t.length===0&&t.push({file:null,line:null,message:n.error??`validation ${n.state}`}),{state:t.length?`invalid`:`valid`,errors:t,job:e[0]}}let t=this.device?.validation;return t?.current&&t.errors.length?{state:`invalid`,errors:t.errors}:{state:`none`,errors:[]}}markers(e){let t=this.file?.path;return e.filter(e=>e.line!=null&&(e.file==null||e.file===t)).map(e=>({line:e.line,message:e.message}))}reveal(e){this.renderRoot.querySelector(Pe)?.revealLine(e)}render(){let e=this.device,t=e?.friendlyName||e?.name||this.deviceId,n=this.validation(),r=this.markers(n.errors);return T`
      <header>
        <span class="title">Config of ${t} <span class="muted mono">${this.file?.path??``}</span>${this.dirty?T` <span class="chip tone-warn">unsaved</span>`:D}</span>
        <button class="btn" role="tab" aria-selected=${this.pane===`edit`?`true`:`false`} @click=${()=>this.pane=`edit`}>Edit</button>
        <button class="btn" role="tab" aria-selected=${this.pane===`history`?`true`:`false`} @click=${()=>this.pane=`history`}>History</button>
        <button class="btn primary" ?disabled=${!this.file||this.saving} @click=${()=>this.save()} title="Save (Ctrl+S)">${this.saving?`Saving…`:`Save`}</button>
        <button class="btn" aria-label="Close the editor" @click=${()=>this.dispatchEvent(new CustomEvent(`forge-editor-close`,{bubbles:!0,composed:!0}))}>Close</button>
      </header>
      ${this.problem?T`<div class="status"><span class="error-text" role="alert">${this.problem}</span></div>`:D}
      ${this.conflict?this.renderConflict():D}
      ${this.pane===`edit`?this.renderEdit(n,r):T`<forge-config-history .source=${this.source} .deviceId=${this.deviceId}></forge-config-history>`}
    `}renderEdit(e,t){let n=this.device?.configHistory;return T`
      <div class="status" aria-live="polite">
        ${this.message?T`<span>${this.message}</span>`:D}
        ${e.state===`running`?T`<span class="chip tone-info">validating…</span>`:D}
        ${e.state===`valid`?T`<span class="chip tone-ok">valid</span>
              <button class="btn" @click=${()=>L(this,{action:`compile`,deviceIds:[this.deviceId]})}>Compile</button>
              <button class="btn" @click=${()=>L(this,{action:`compile_upload`,deviceIds:[this.deviceId]})}>Install</button>`:D}
        ${e.state===`invalid`?T`<span class="chip tone-bad">${e.errors.length} error${e.errors.length===1?``:`s`}</span>`:D}
        ${n?.builtFrom?T`<span class="muted">built from <code class="mono">${n.builtFrom.slice(0,7)}</code>${n.changesSince?`, ${n.changesSince} change${n.changesSince===1?``:`s`} since`:`, no changes since`}</span>`:D}
      </div>
      ${e.errors.length?T`<ul class="errors" aria-label="Validation errors">${e.errors.map(e=>T`<li class="error-text">${e.line!=null&&(e.file==null||e.file===this.file?.path)?T`<button @click=${()=>this.reveal(e.line)}>line ${e.line}</button>: `:e.file?T`<span class="mono">${e.file}${e.line==null?``:`:${e.line}`}</span>: `:D}${e.message}</li>`)}</ul>`:D}
      <div class="editor">
        ${this.file?T`<forge-code-editor .value=${this.file.content} .markers=${t}
              @value-changed=${e=>this.text=e.detail.value}></forge-code-editor>`:T`<p class="muted status">Loading…</p>`}
      </div>
    `}renderConflict(){let e=this.conflict;return T`<section class="conflict" aria-label="Save conflict">
      <p>Someone changed this file since you opened it. Nothing was saved. What differs (the file now → yours):</p>
      ${e.diff==null?D:T`<forge-diff-view .diff=${e.diff} .label=${`Your changes against the file now`}></forge-diff-view>`}
      <p>
        <button class="btn" @click=${()=>this.load(!1)}>Load the current version (drop mine)</button>
        <button class="btn danger" ?disabled=${!e.currentSha256} @click=${()=>this.overwrite()}>Save mine over it</button>
      </p>
    </section>`}};customElements.get(`forge-config-editor`)||customElements.define(`forge-config-editor`,Kn);var qn=/^[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?$/,Jn=class extends M{static properties={source:{attribute:!1},templates:{state:!0},problem:{state:!0},warnings:{state:!0},busy:{state:!0}};constructor(){super(),this.source=null,this.templates=[],this.problem=null,this.warnings=[],this.busy=!1}static styles=[R,o`
      dialog {
        border: 1px solid var(--forge-divider);
        border-radius: 12px;
        background: var(--forge-surface);
        color: var(--primary-text-color);
        padding: 16px;
        min-width: min(420px, 90vw);
      }
      label {
        display: grid;
        gap: 4px;
        margin-bottom: 10px;
        font-size: 0.9em;
      }
      input,
      select {
        font: inherit;
        padding: 6px 8px;
        border: 1px solid var(--forge-divider);
        border-radius: 6px;
        background: transparent;
        color: inherit;
      }
      .row {
        display: flex;
        gap: 8px;
        justify-content: flex-end;
      }
      h2 {
        margin: 0 0 12px;
        font-size: 1.1em;
      }
    `];async open(){this.problem=null,this.warnings=[],await this.updateComplete,this.renderRoot.querySelector(`dialog`).showModal();try{this.templates=(await this.source.workspace.templates()).templates}catch(e){this.problem=P(e).message}}close(){this.renderRoot.querySelector(`dialog`)?.close()}async submit(e){e.preventDefault();let t=e.target,n=new FormData(t),r=String(n.get(`name`)??``).trim();if(!qn.test(r)){this.problem=`The name is the device's hostname: lowercase letters, digits and '-'.`;return}let i=String(n.get(`friendly`)??``).trim(),a=String(n.get(`board`)??``).trim();this.busy=!0;try{let e=await this.source.workspace.create({name:r,template:String(n.get(`template`)),...i?{friendlyName:i}:{},...a?{board:a}:{}});this.warnings=e.warnings,t.reset(),this.close(),this.dispatchEvent(new CustomEvent(`forge-device-created`,{detail:{deviceId:r,warnings:e.warnings},bubbles:!0,composed:!0}))}catch(e){this.problem=P(e).message}finally{this.busy=!1}}render(){return T`<dialog aria-labelledby="new-title">
      <form @submit=${e=>this.submit(e)}>
        <h2 id="new-title">New device</h2>
        <label>Name (hostname)<input name="name" required autocomplete="off" placeholder="kitchen-sensor" /></label>
        <label>Friendly name<input name="friendly" autocomplete="off" placeholder="Kitchen sensor" /></label>
        <label>Template<select name="template">${this.templates.map(e=>T`<option value=${e.id}>${e.label} (${e.board})</option>`)}</select></label>
        <label>Board (optional)<input name="board" autocomplete="off" placeholder="the template's board" /></label>
        ${this.problem?T`<p class="error-text" role="alert">${this.problem}</p>`:D}
        <div class="row">
          <button type="button" class="btn" @click=${()=>this.close()}>Cancel</button>
          <button type="submit" class="btn primary" ?disabled=${this.busy||this.templates.length===0}>Create</button>
        </div>
      </form>
    </dialog>`}};customElements.get(`forge-new-device-dialog`)||customElements.define(`forge-new-device-dialog`,Jn);var Yn={connecting:`Connecting…`,live:``,reconnecting:`Reconnecting…`,unauthorized:`Not authorised`,error:`Cannot load Forge data`},Xn=class extends M{static properties={source:{attribute:!1},views:{attribute:!1},scopeTags:{attribute:!1},columns:{attribute:!1},presence:{attribute:!1},compact:{type:Boolean,reflect:!0},state:{state:!0},tab:{state:!0},logJobId:{state:!0},editDeviceId:{state:!0},rowErrors:{state:!0},busy:{state:!0},banner:{state:!0},notice:{state:!0}};unsubscribe=null;subscribed=null;constructor(){super(),this.source=null,this.views=V,this.scopeTags=[],this.columns=[`online`,`version`,`status`,`trust`,`last_build`],this.presence=new Map,this.compact=!1,this.state=qe(),this.tab=`devices`,this.logJobId=null,this.editDeviceId=null,this.rowErrors=new Map,this.busy=new Set,this.banner=null,this.notice=null,this.addEventListener(at,e=>void this.onAction(e.detail)),this.addEventListener(`forge-log-close`,()=>this.logJobId=null),this.addEventListener(`forge-editor-close`,()=>this.editDeviceId=null),this.addEventListener(`forge-device-created`,e=>{let{deviceId:t,warnings:n}=e.detail;this.notice=`Created ${t}.${n.length?` ${n.join(` `)}`:``}`,this.openEditor(t)})}static styles=[R,o`
      :host {
        display: block;
      }
      :host([compact]) {
        --forge-row-pad: 3px 10px;
        font-size: 13px;
      }
      [role="tablist"] {
        display: flex;
        gap: 2px;
        padding: 0 8px;
        border-bottom: 1px solid var(--forge-divider);
        overflow-x: auto;
      }
      [role="tab"] {
        font: inherit;
        font-weight: 500;
        color: var(--forge-muted);
        background: none;
        border: 0;
        border-bottom: 2px solid transparent;
        padding: 10px 12px 8px;
        cursor: pointer;
      }
      [role="tab"][aria-selected="true"] {
        color: var(--forge-accent);
        border-bottom-color: var(--forge-accent);
      }
      .summary {
        padding: 6px 12px 0;
        font-size: 0.85em;
      }
      .banner {
        margin: 8px 12px 0;
        padding: 8px 12px;
        border-radius: 8px;
        display: flex;
        gap: 8px;
        justify-content: space-between;
        align-items: center;
        background: color-mix(in srgb, var(--tone) 12%, transparent);
        color: var(--tone);
      }
      .banner button {
        all: unset;
        cursor: pointer;
        padding: 0 4px;
      }
    `];connectedCallback(){super.connectedCallback(),this.attach()}disconnectedCallback(){super.disconnectedCallback(),this.detach()}willUpdate(){this.isConnected&&this.source!==this.subscribed&&this.attach(),!this.views.includes(this.tab)&&this.views[0]&&(this.tab=this.views[0])}attach(){this.subscribed===this.source&&this.unsubscribe||(this.detach(),this.source&&(this.subscribed=this.source,this.unsubscribe=this.source.subscribe(e=>this.state=e)))}detach(){this.unsubscribe?.(),this.unsubscribe=null,this.subscribed=null}setRowError(e,t){let n=new Map(this.rowErrors);for(let r of e)t?n.set(r,t):n.delete(r);this.rowErrors=n}setBusy(e,t){let n=new Set(this.busy);for(let r of e)t?n.add(r):n.delete(r);this.busy=n}async onAction(e){if(e.action===`log`)this.logJobId=e.jobId,await this.updateComplete,this.renderRoot.querySelector(`forge-log-panel`)?.scrollIntoView?.({block:`nearest`,behavior:`smooth`});else if(e.action===`edit`)await this.openEditor(e.deviceId);else if(e.action===`dismiss-error`)this.setRowError([e.deviceId],null);else if(e.action===`cancel`)try{await this.source?.cancel(e.jobId)}catch(t){let n=`Cancel failed: ${P(t).message}`;e.deviceId?this.setRowError([e.deviceId],n):this.banner=n}else await this.runJobs(e.action,e.deviceIds)}async openEditor(e){this.editDeviceId=e,await this.updateComplete,this.renderRoot.querySelector(`forge-config-editor`)?.scrollIntoView?.({block:`nearest`,behavior:`smooth`})}async runJobs(e,t){let n=this.source;if(n&&t.length!==0){if(e!==`compile`&&t.length>1){let n=this.renderRoot.querySelector(`forge-confirm-dialog`),r=e===`upload`?`flash its stored firmware`:`compile and flash new firmware`;if(!await n.ask(`Update ${t.length} devices over the air?`,`Each of the ${t.length} selected devices will ${r} and restart.`,`Update ${t.length} devices`))return}this.setBusy(t,!0),this.setRowError(t,null);try{let r=e===`upload`?await n.upload(t):await n.compile(t,{upload:e===`compile_upload`});for(let e of r.skipped)this.setRowError([e.deviceId],`Not queued: ${e.reason}`);t.length>1&&(this.notice=`Queued ${r.jobs.length} job${r.jobs.length===1?``:`s`}${r.skipped.length?`, skipped ${r.skipped.length}`:``}.`)}catch(e){let n=P(e).message;t.length===1?this.setRowError(t,n):this.banner=n}finally{this.setBusy(t,!1)}}}onTabKey(e){let t=this.views.indexOf(this.tab),n=e.key===`ArrowRight`?1:e.key===`ArrowLeft`?-1:0;n&&(this.tab=this.views[(t+n+this.views.length)%this.views.length],this.updateComplete.then(()=>this.renderRoot.querySelector(`[role="tab"][aria-selected="true"]`)?.focus()))}render(){let e=this.state,t=this.logJobId==null?void 0:e.jobs.get(this.logJobId),n=t?e.devices.get(t.deviceId):void 0,r=0,i=0;for(let t of e.jobs.values())t.state===`running`?r++:(t.state===`queued`||t.state===`blocked`)&&i++;let a=[...e.workers.values()].filter(e=>e.online).length;return T`
      ${this.views.length>1?T`<div role="tablist" aria-label="Forge views" @keydown=${this.onTabKey}>
            ${this.views.map(e=>T`<button role="tab" id=${`tab-${e}`} aria-controls="panel" aria-selected=${e===this.tab?`true`:`false`} tabindex=${e===this.tab?0:-1} @click=${()=>this.tab=e}>${ot[e]}</button>`)}
          </div>`:D}
      <div class="summary muted" aria-live="polite">${e.devices.size} devices · ${r} running · ${i} queued · ${a}/${e.workers.size} workers online${this.source?.workspace?T` · <button class="btn" @click=${()=>this.renderRoot.querySelector(`forge-new-device-dialog`)?.open()}>New device</button>`:D}${e.workspace?.remote.state===`failing`?T` · <span class="error-text" title=${e.workspace.remote.lastError??``}>config push failing</span>`:D}</div>
      ${this.source?.trustStatus?T`<forge-trust-status .feed=${this.source.trustStatus}></forge-trust-status>`:D}
      ${e.status===`live`?D:T`<div class="banner ${e.status===`reconnecting`||e.status===`connecting`?`tone-info`:`tone-bad`}" role="status">${Yn[e.status]}${e.error?` ${e.error}`:``}</div>`}
      ${this.banner?T`<div class="banner tone-bad" role="alert"><span>${this.banner}</span><button aria-label="Dismiss" @click=${()=>this.banner=null}>✕</button></div>`:D}
      ${this.notice?T`<div class="banner tone-ok" role="status"><span>${this.notice}</span><button aria-label="Dismiss" @click=${()=>this.notice=null}>✕</button></div>`:D}
      <div id="panel" role="tabpanel" aria-labelledby=${`tab-${this.tab}`}>${this.renderView()}</div>
      ${this.logJobId==null?D:T`<forge-log-panel .source=${this.source} .jobId=${this.logJobId} .job=${t} .deviceName=${n?.friendlyName||n?.name||``}></forge-log-panel>`}
      ${this.editDeviceId==null?D:T`<forge-config-editor .source=${this.source} .state=${this.state} .deviceId=${this.editDeviceId}></forge-config-editor>`}
      ${this.source?.workspace?T`<forge-new-device-dialog .source=${this.source}></forge-new-device-dialog>`:D}
      <forge-confirm-dialog></forge-confirm-dialog>
    `}renderView(){switch(this.tab){case`devices`:return T`<forge-devices-view .state=${this.state} .presence=${this.presence} .scopeTags=${this.scopeTags} .columns=${this.columns} .rowErrors=${this.rowErrors} .busy=${this.busy}></forge-devices-view>`;case`queue`:return T`<forge-queue-view .state=${this.state}></forge-queue-view>`;case`workers`:return T`<forge-workers-view .state=${this.state}></forge-workers-view>`}}};customElements.get(`forge-dashboard`)||customElements.define(`forge-dashboard`,Xn);var Z=`esphome-forge-card`,Zn=[`type`,`title`,`views`,`tags`,`columns`,`compact`,`entry_id`],Qn=[`grid_options`,`layout_options`,`view_layout`,`visibility`,`card_mod`],$n=/^[a-z0-9][a-z0-9_.:-]*$/,Q=e=>{throw Error(`${Z}: ${e}`)},$=e=>typeof e==`string`?`"${e}"`:JSON.stringify(e);function er(e,t){return typeof e==`string`?e.split(`,`).map(e=>e.trim()).filter(Boolean):Array.isArray(e)?e:Q(`${t}: expected a list, got ${$(e)}`)}function tr(e,t,n){let r=[];for(let i of er(e,t))typeof i==`string`&&n.includes(i)||Q(`${t}: unknown value ${$(i)}; choose from ${n.join(`, `)}`),r.includes(i)&&Q(`${t}: ${$(i)} is listed twice`),r.push(i);return r}function nr(e){if(!e||typeof e!=`object`||Array.isArray(e))return Q(`the configuration must be a mapping of options`);let t=e;for(let e of Object.keys(t))!Zn.includes(e)&&!Qn.includes(e)&&Q(`unknown option ${$(e)}; the options are ${Zn.slice(1).join(`, `)}`);let n={...t};return typeof t.type==`string`&&t.type||Q(`type: expected "custom:${Z}"`),t.title!==void 0&&typeof t.title!=`string`&&Q(`title: expected text, got ${$(t.title)}`),t.views!==void 0&&(n.views=tr(t.views,`views`,V),n.views.length===0&&Q(`views: list at least one of ${V.join(`, `)}`)),t.tags!==void 0&&(n.tags=er(t.tags,`tags`).map(e=>(typeof e==`string`&&$n.test(e)||Q(`tags: ${$(e)} is not a tag (lowercase letters, digits, '_', '.', ':' and '-')`),e))),t.columns!==void 0&&(n.columns=tr(t.columns,`columns`,W)),t.compact!==void 0&&typeof t.compact!=`boolean`&&Q(`compact: expected true or false, got ${$(t.compact)}`),t.entry_id===void 0||typeof t.entry_id==`string`&&t.entry_id||Q(`entry_id: expected a config entry id (text), got ${$(t.entry_id)}`),n}function rr(e){return{title:e.title??``,views:e.views?.length?[...e.views]:[...V],tags:e.tags?[...e.tags]:[],columns:e.columns?[...e.columns]:[...W],compact:e.compact??!1,entryId:e.entry_id??null}}function ir(){return{title:`ESPHome builds`,views:[...V],tags:[],columns:[...W],compact:!1}}var ar=e=>e.toLowerCase().replace(/[^0-9a-f]/g,``),or=e=>e.toLowerCase().replace(/[\s_]+/g,`-`);function sr(e){if(!e)return null;let t=/ESPHome\s+v?([\w.-]+)/i.exec(e)??/^v?(\d{4}\.\d+\.\d+\w*)/.exec(e.trim());return t?t[1]:null}var cr=class{indexed=null;last=new Map;index(e){if(this.indexed&&this.indexed.devices===e.devices&&this.indexed.entities===e.entities)return this.indexed.index;let t=new Map,n=new Map;for(let r of Object.values(e.devices??{})){for(let[e,n]of r.connections??[])e===`mac`&&t.set(ar(n),r);for(let e of[r.name,r.name_by_user])e&&n.set(or(e),r)}let r=new Map;for(let t of Object.values(e.entities??{})){if(!t.device_id||t.platform&&t.platform!==`esphome`)continue;let e=r.get(t.device_id)??[];e.push(t.entity_id),r.set(t.device_id,e)}let i={byMac:t,byName:n,entitiesOf:r};return this.indexed={devices:e.devices,entities:e.entities,index:i},i}resolve(e,t){if(!e)return this.last;let n=this.index(e),r=new Map,i=!1,a=0;for(let o of t){a++;let t=(o.mac?n.byMac.get(ar(o.mac)):void 0)??[o.friendlyName,o.name,o.id].filter(e=>!!e).map(e=>n.byName.get(or(e))).find(Boolean),s=null;if(t){let r=(n.entitiesOf.get(t.id)??[]).map(t=>e.states[t]?.state).filter(e=>e!==void 0);r.length&&(s=r.some(e=>e!==`unavailable`))}let c=t?.sw_version??null,l=sr(c),u=this.last.get(o.id);u&&u.online===s&&u.runningVersion===l&&u.swVersion===c?r.set(o.id,u):(r.set(o.id,{online:s,runningVersion:l,swVersion:c}),i=!0)}return!i&&a===this.last.size?this.last:(this.last=r,r)}},lr=class extends M{static properties={config:{state:!0},problem:{state:!0},tagsText:{state:!0}};hass=null;constructor(){super(),this.config=null,this.problem=null,this.tagsText=``}static styles=[R,o`
      :host {
        display: block;
      }
      fieldset {
        border: 1px solid var(--forge-divider);
        border-radius: 8px;
        margin: 0 0 12px;
        padding: 8px 12px;
      }
      legend {
        font-weight: 500;
        padding: 0 4px;
      }
      label {
        display: flex;
        align-items: center;
        gap: 6px;
        min-height: 32px;
      }
      .grid {
        display: flex;
        flex-wrap: wrap;
        gap: 2px 16px;
      }
      .field {
        display: grid;
        gap: 4px;
        margin-bottom: 12px;
      }
      .field input {
        width: 100%;
      }
      .hint {
        font-size: 0.85em;
        color: var(--forge-muted);
      }
    `];setConfig(e){this.config={...e},this.tagsText=(e.tags??[]).join(`, `);try{nr(e),this.problem=null}catch(e){this.problem=e.message}}change(e){let t={...this.config??{type:`custom:esphome-forge-card`},...e};for(let n of Object.keys(e))e[n]===void 0&&delete t[n];try{nr(t),this.problem=null}catch(e){this.problem=e.message}this.config=t,this.dispatchEvent(new CustomEvent(`config-changed`,{detail:{config:t},bubbles:!0,composed:!0}))}toggleView(e,t){let n=rr({type:``,views:this.config?.views}).views,r=V.filter(r=>r===e?t:n.includes(r));r.length!==0&&this.change({views:r})}toggleColumn(e,t){let n=rr({type:``,columns:this.config?.columns}).columns;this.change({columns:W.filter(r=>r===e?t:n.includes(r))})}setTags(e){this.tagsText=e;let t=e.split(`,`).map(e=>e.trim()).filter(Boolean);this.change({tags:t})}render(){if(!this.config)return D;let e=rr({...this.config,views:this.config.views?.length?this.config.views:void 0});return T`
      ${this.problem?T`<p class="error-text" role="alert">${this.problem}</p>`:D}
      <div class="field">
        <label for="title">Title</label>
        <input id="title" type="text" .value=${this.config.title??``} @change=${e=>this.change({title:e.target.value||void 0})} />
      </div>
      <fieldset>
        <legend>Views</legend>
        <div class="grid">
          ${V.map(t=>T`<label><input type="checkbox" name="view-${t}" .checked=${e.views.includes(t)} ?disabled=${e.views.length===1&&e.views.includes(t)} @change=${e=>this.toggleView(t,e.target.checked)} />${ot[t]}</label>`)}
        </div>
      </fieldset>
      <div class="field">
        <label for="tags">Only devices with these tags</label>
        <input id="tags" type="text" placeholder="e.g. kitchen, outdoor" .value=${this.tagsText} @change=${e=>this.setTags(e.target.value)} />
        <span class="hint">Comma-separated; empty shows every device.</span>
      </div>
      <fieldset>
        <legend>Columns</legend>
        <div class="grid">
          ${W.map(t=>T`<label><input type="checkbox" name="column-${t}" .checked=${e.columns.includes(t)} @change=${e=>this.toggleColumn(t,e.target.checked)} />${bt[t]}</label>`)}
        </div>
      </fieldset>
      <label><input type="checkbox" name="compact" .checked=${e.compact} @change=${e=>this.change({compact:e.target.checked})} />Compact rows</label>
    `}};customElements.get(`esphome-forge-card-editor`)||customElements.define(`${Z}-editor`,lr);var ur=class extends M{static properties={resolved:{state:!0},source:{state:!0},presence:{state:!0}};config=null;hassValue=null;resolver=new cr;devices=new Map;unsubscribe=null;constructor(){super(),this.resolved=null,this.source=null,this.presence=new Map}static styles=o`
    :host {
      display: block;
    }
    ha-card {
      display: block;
      overflow: hidden;
      height: 100%;
      background: var(--ha-card-background, var(--card-background-color, #fff));
      border-radius: var(--ha-card-border-radius, 12px);
      border: var(--ha-card-border-width, 1px) solid var(--ha-card-border-color, var(--divider-color, #e0e0e0));
      box-shadow: var(--ha-card-box-shadow, none);
      color: var(--primary-text-color, #212121);
    }
    .header {
      padding: 12px 16px 4px;
      font-size: var(--ha-card-header-font-size, 20px);
      font-weight: 500;
    }
  `;static getConfigElement(){return document.createElement(`${Z}-editor`)}static getStubConfig(){return ir()}setConfig(e){this.config=nr(e),this.resolved=rr(this.config),this.hassValue&&this.connect(this.hassValue)}get hass(){return this.hassValue}set hass(e){this.hassValue=e,this.connect(e),this.updatePresence()}getCardSize(){return 2+Math.min(this.devices.size||4,8)}getGridOptions(){return{columns:12,rows:`auto`,min_columns:6,min_rows:4}}connectedCallback(){super.connectedCallback(),this.hassValue&&this.connect(this.hassValue)}disconnectedCallback(){super.disconnectedCallback(),this.unsubscribe?.(),this.unsubscribe=null}connect(e){let t=this.resolved?.entryId??null;this.resolved&&(this.source&&this.source.connection===e.connection&&this.source.entryId===t||(this.unsubscribe?.(),this.unsubscribe=null,this.source=new it(e.connection,t,e.user?.is_admin!==!1)),!this.unsubscribe&&this.isConnected&&this.source&&(this.unsubscribe=this.source.subscribe(e=>{e.devices!==this.devices&&(this.devices=e.devices,this.updatePresence())})))}updatePresence(){let e=this.resolver.resolve(this.hassValue,this.devices.values());e!==this.presence&&(this.presence=e)}shouldUpdate(e){return e.has(`resolved`)||e.has(`source`)||e.has(`presence`)}render(){let e=this.resolved;return e?T`<ha-card>
      ${e.title?T`<div class="header" role="heading" aria-level="2">${e.title}</div>`:D}
      <forge-dashboard
        .source=${this.source}
        .views=${e.views}
        .scopeTags=${e.tags}
        .columns=${e.columns}
        .presence=${this.presence}
        ?compact=${e.compact}
      ></forge-dashboard>
    </ha-card>`:D}};customElements.get(`esphome-forge-card`)||customElements.define(Z,ur);function dr(){let e=window.customCards=window.customCards??[];e.some(e=>e.type===`esphome-forge-card`)||e.push({type:Z,name:`Forge for ESPHome`,description:`ESPHome firmware builds: devices, queue, workers and live build logs.`,preview:!0,getEntitySuggestion:(e,t)=>(e?.entities)?.[t]?.platform===`esphome_forge`?{type:`custom:${Z}`}:null})}dr(),console.info(`%c Forge for ESPHome card %c 0.1.0 `,`background:#03a9f4;color:#fff;border-radius:3px 0 0 3px`,`background:#455a64;color:#fff;border-radius:0 3px 3px 0`);
//# sourceMappingURL=esphome-forge-card.js.map